package dev.calq.bench;

import dev.calq.awq.AwqConfig;
import dev.calq.awq.AwqLayerSearch;
import dev.calq.awq.AwqMethod;
import dev.calq.awq.DecoderLayerBlock;
import dev.calq.awq.GridQuantizer;
import dev.calq.awq.ScaleChoice;
import dev.calq.calibration.model.DecoderLayer;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.SharedData;
import dev.calq.formats.model.ModelConfig;
import dev.calq.calibration.quant.Rtn;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * AWQ end to end on a model folder (default: the shared tinyllama): calibration through the runner with the AWQ
 * method, round to nearest of the scaled, clipped weights, then a short perplexity on wiki.test.raw windows, against
 * plain RTN and the float model. Prints per-layer search and clip times. A measurement tool, not a test.
 *
 * <p>Arguments: samples seqLen evalWindows evalLen gqa(true|false) [mode: awq|rtn|fp|all] [modelDir]
 */
public final class AwqEndToEnd {
    private AwqEndToEnd() {}

    public static void main(String[] args) throws Exception {
        int samples = Integer.parseInt(args[0]), seqLen = Integer.parseInt(args[1]);
        int windows = Integer.parseInt(args[2]), evalLen = Integer.parseInt(args[3]);
        boolean gqa = Boolean.parseBoolean(args[4]);
        String mode = args.length > 5 ? args[5] : "all";
        Path dir = args.length > 6 ? Path.of(args[6]) : SharedData.tinyLlama();
        PrintStream out = System.out;
        Tokenizer tok = Tokenizers.load(dir);
        List<int[]> calib = windows(tok, Files.readString(SharedData.calibrationText()), samples, seqLen);
        List<int[]> eval = windows(tok, Files.readString(SharedData.wikiTest()), windows, evalLen);
        GridConfig qc = GridConfig.defaults().withSym(false);
        for (String m : mode.equals("all") ? List.of("fp", "rtn", "awq") : List.of(mode)) {
            try (LoadedModel lm = ModelLoader.load(dir)) {
                LlamaModel model = lm.model();
                long t0 = System.nanoTime();
                if (m.equals("rtn")) {
                    for (int l = 0; l < model.numLayers(); l++) quantize(model.layer(l), qc);
                } else if (m.equals("awq")) {
                    ModelConfig c = model.config();
                    int width = 2 * c.hiddenSize() + c.qDim() + c.intermediateSize();
                    List<AwqLayerSearch.Report> reports = new ArrayList<>();
                    AwqMethod method = new AwqMethod(l -> new DecoderLayerBlock(model.layer(l), c), new GridQuantizer(qc),
                            AwqConfig.DEFAULT.withGqaOutputScaling(gqa), Long.MAX_VALUE, width, (l, block, r) -> {
                                reports.add(r);
                                quantize(model.layer(l), qc);
                            });
                    new CalibrationRunner(model, calib, method, RunnerOptions.inMemory(System.err)).run();
                    for (AwqLayerSearch.Report r : reports) {
                        StringBuilder ratios = new StringBuilder();
                        for (ScaleChoice s : r.scales())
                            ratios.append(String.format(Locale.ROOT, " %s=%s(%.3g/%.3g)", s.group(), s.identity() ? "id" : String.format(Locale.ROOT, "%.2f", s.ratio()),
                                    s.error(), s.identityError()));
                        out.printf(Locale.ROOT, "layer %d: scale search %.2f s, clip %.2f s, cache %.1f MB;%s%n", r.layer(), r.scaleSeconds(),
                                r.clipSeconds(), r.cachedBytes() / 1e6, ratios);
                    }
                }
                double quantSeconds = (System.nanoTime() - t0) / 1e9;
                out.printf(Locale.ROOT, "%s: quantize %.1f s, perplexity %.4f over %d x %d tokens%n", m, quantSeconds,
                        perplexity(model, eval), windows, evalLen);
            }
        }
    }

    static void quantize(DecoderLayer layer, GridConfig qc) {
        for (Projection p : Projection.values()) {
            var lin = layer.linear(p);
            layer.setWeight(p, Rtn.quantize(layer.weights(p), lin.outFeatures(), lin.inFeatures(), qc).dequantize());
        }
    }

    /** Consecutive windows of len tokens, BOS first. */
    static List<int[]> windows(Tokenizer tok, String text, int n, int len) {
        int[] ids = tok.encode(text);
        List<int[]> w = new ArrayList<>();
        for (int i = 0; i < n && (long) (i + 1) * (len - 1) <= ids.length; i++) {
            int[] s = new int[len];
            s[0] = tok.bosId();
            System.arraycopy(ids, i * (len - 1), s, 1, len - 1);
            w.add(s);
        }
        return w;
    }

    static double perplexity(LlamaModel model, List<int[]> windows) {
        double nll = 0;
        long n = 0;
        int v = model.vocabSize();
        for (int[] w : windows) {
            float[] logits = model.forward(w);
            for (int t = 0; t + 1 < w.length; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) max = Math.max(max, logits[t * v + j]);
                double z = 0;
                for (int j = 0; j < v; j++) z += Math.exp(logits[t * v + j] - max);
                nll += Math.log(z) + max - logits[t * v + w[t + 1]];
                n++;
            }
        }
        return Math.exp(nll / n);
    }
}
