package dev.calq.gptq.sensitivity;

import dev.calq.calibration.eval.PerplexityEvaluator;
import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.datasets.CalibrationSource;
import dev.calq.datasets.CalibrationSpec;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.gptq.HessianObserver;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code calq sensitivity} and {@code quantize --target-size} share: one pass of llama.cpp's calibration chunks
 * gathering the layer-input Hessians and (unless --imatrix gives one) the importance matrix together, the KL probe
 * on the first chunks, then every tensor's cost at every candidate type. The importance matrix is gathered through
 * the {@link ImatrixGatherer} the command hands in (gptq does not import the imatrix module).
 */
public final class SensitivityPass {
    /** The types tried by default: every K and IQ type from 2 to 8 bits that calq's codecs write. */
    public static final String DEFAULT_CANDIDATES = "IQ2_XXS,IQ2_XS,IQ2_S,Q2_K,IQ3_XXS,IQ3_S,Q3_K,IQ4_XS,Q4_K,Q5_K,Q6_K,Q8_0";

    /**
     * How the sensitivity is measured.
     *
     * @param candidates  the ggml types measured and chosen from
     * @param gainType    the type of the single-tensor substitutions that turn Hessian errors into KL divergence
     * @param probeChunks calibration chunks the substitutions are measured on end to end
     * @param sampleRows  rows of each projection the trial quantizations estimate its error from (0: every row)
     */
    public record Settings(List<GgmlType> candidates, GgmlType gainType, int probeChunks, int sampleRows) {
        public Settings {
            if (probeChunks <= 0) throw new CalqException("--probe-chunks " + probeChunks + " must be positive");
            if (sampleRows < 0) throw new CalqException("--sample-rows " + sampleRows + " must be 0 (every row) or positive");
        }
    }

    /** The table, the matrix its codecs used, and the wall and process CPU seconds of the pass and of the measurement. */
    public record Result(SensitivityTable table, ImportanceMatrix imatrix, double passSeconds, double measureSeconds, double passCpu, double measureCpu) {
        public static Result reused(SensitivityTable table, ImportanceMatrix imatrix) { return new Result(table, imatrix, 0, 0, 0, 0); }
    }

    private SensitivityPass() {}

    /** A comma-separated list of ggml type names, as --candidate-types and --gain-type spell them. */
    public static List<GgmlType> parseCandidates(String spec) {
        List<GgmlType> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            if (s.isBlank()) continue;
            try {
                out.add(GgmlType.fromName(s.trim()));
            } catch (IllegalArgumentException e) {
                throw new CalqException("--candidate-types: unknown ggml type " + s.trim());
            }
        }
        if (out.isEmpty()) throw new CalqException("--candidate-types: no type given");
        return out;
    }

    /** {@code imatrixFile}: the matrix the codecs use (null: gathered in the same pass through {@code imatrix}). */
    public static Result run(LoadedModel loaded, CalibrationSpec calibration, Path imatrixFile, Settings settings, ImatrixGatherer imatrix,
                             PrintStream log) {
        if (!calibration.given()) throw new CalqException("a size target or sensitivity report needs --calibration (the layer Hessians come from it)");
        int ctx = calibration.seqlen();
        if (ctx < 4) throw new CalqException("--seqlen " + ctx + " is too small (at least 4)");
        if (ctx > loaded.config().maxPositionEmbeddings())
            throw new CalqException("--seqlen " + ctx + " exceeds the model's max_position_embeddings " + loaded.config().maxPositionEmbeddings());
        CalibrationSource source = CalibrationSource.parse(calibration.source(), calibration.textField());
        Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
        LlamaModel llama = loaded.model();
        int[] tokens = dev.calq.calibration.eval.TextTokens.tokenize(tok, source.text(), llama.vocabSize(), loaded.path());
        int available = PerplexityMethod.windows(tokens.length, ctx);
        if (available == 0)
            throw new CalqException(calibration.source() + ": " + tokens.length + " tokens, fewer than one chunk of " + ctx + " tokens");
        int chunks = Math.min(calibration.nsamples(), available);

        HessianObserver hessians = new HessianObserver();
        ImatrixGatherer.Observer stats = imatrixFile == null ? imatrix.observer() : null;
        log.printf(Locale.ROOT, "sensitivity: Hessians%s over %d chunks of %d tokens%n", stats != null ? " and importance matrix" : "", chunks, ctx);
        long t0 = System.nanoTime();
        double c0 = cpuSeconds();
        PerplexityEvaluator.evaluate(llama, tokens, tok.bosId(), PerplexityMethod.LLAMA, ctx, chunks, null, null, null,
                (layer, site, x, n, dim) -> {
                    hessians.observe(layer, site, x, n, dim);
                    if (stats != null) stats.observe(layer, site, x, n, dim);
                });
        ImportanceMatrix im = imatrixFile != null ? ImportanceMatrix.read(imatrixFile)
                : stats.matrix(llama.numLayers(), chunks, ctx, List.of(calibration.source()));
        double pass = (System.nanoTime() - t0) / 1e9, passCpu = cpuSeconds() - c0;
        long[] counts = new long[llama.vocabSize()];
        for (int i = 0; i < chunks; i++) for (int t : PerplexityMethod.LLAMA.window(tokens, ctx, i, tok.bosId())) counts[t]++;
        KlProbe probe = KlProbe.record(llama, tokens, tok.bosId(), ctx, settings.probeChunks(), SensitivityMeasurement.gainLayers(llama.numLayers()));
        SensitivityTable table = SensitivityMeasurement.measure(llama, hessians, im, settings.candidates(), settings.gainType(), probe, counts,
                settings.sampleRows(), log);
        double measure = (System.nanoTime() - t0) / 1e9 - pass, measureCpu = cpuSeconds() - c0 - passCpu;
        log.printf(Locale.ROOT, "sensitivity: calibration pass %.1fs (CPU %.1fs), measurement %.1fs (CPU %.1fs, %.2fx the pass's; %d probe positions)%n",
                pass, passCpu, measure, measureCpu, measureCpu / passCpu, probe.positions());
        return new Result(table, im, pass, measure, passCpu, measureCpu);
    }

    /** CPU seconds of the whole process so far (every thread, GC included): on a shared machine a fairer measure than wall time. */
    static double cpuSeconds() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() / 1e9 : Double.NaN;
    }
}
