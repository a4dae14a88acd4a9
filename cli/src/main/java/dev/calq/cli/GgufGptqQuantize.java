package dev.calq.cli;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.llama.LlamaTensorNames;
import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.gptq.GgufGptqMethod;
import dev.calq.gptq.GgufGptqQuantizer;
import dev.calq.gptq.GptqConfig;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code quantize --method gptq --format gguf}: the mix's types chosen as llama-quantize chooses them, then GPTQ inside
 * each projection's block type through the calibration runner; the other tensors (embeddings, output, F16
 * fallbacks) are quantized as llama-quantize does, with the importance matrix from --imatrix or gathered from the
 * calibration text first.
 */
final class GgufGptqQuantize {
    private GgufGptqQuantize() {}

    static int run(QuantizeCommand cmd, PrintStream log) {
        QuantMix mix = QuantMix.forName(cmd.gguf.type);
        if (!mix.quantized()) throw new CalqException("--method gptq needs a quantized --type; " + mix + " stores floats");
        if (!cmd.calibration.given()) throw new CalqException("--method gptq --format gguf needs --calibration (the Hessians come from it)");
        if (cmd.actOrder) throw new CalqException("--act-order cannot reorder columns across ggml blocks; GPTQ into GGUF types runs in column order");
        cmd.requireHfFolder();
        AtomicOutput.checkTarget(cmd.output, cmd.overwrite || cmd.resume, cmd.model, cmd.calibration.path(), cmd.gguf.imatrix);
        if (cmd.gguf.imatrixOutput != null)
            AtomicOutput.checkTarget(cmd.gguf.imatrixOutput, cmd.overwrite || cmd.resume, cmd.model, cmd.calibration.path(), cmd.output);
        MixOptions overrides = cmd.gguf.mixFlags.options();
        ImportanceMatrix targetImatrix = null;
        if (cmd.gguf.target.given()) {
            // a size target: the types come from the imatrix codecs' measured sensitivity (docs/algorithms.md says why
            // that proxy holds for GPTQ too), GPTQ then runs inside them; the sensitivity pass's matrix serves the rest
            TargetQuantize.Chosen chosen = TargetQuantize.choose(cmd.model, cmd.output, cmd.calibration, cmd.gguf, cmd.overwrite || cmd.resume, log);
            if (chosen.typesFile() == null) return 0;
            overrides = chosen.choice().options();
            targetImatrix = chosen.sensitivity().imatrix();
        }
        Map<String, GgmlType> types = GgufConverter.plannedTypes(cmd.model, GgufConverter.mixChooser(cmd.model, mix, overrides, true));
        GptqConfig cfg = new GptqConfig(GridConfig.defaults(), false, false, cmd.damp, cmd.blockSize, cmd.trueSequential);
        long start = System.nanoTime();
        Map<String, GgufConverter.Encoded> encoded = new LinkedHashMap<>();
        ImportanceMatrix im;
        try (LoadedModel loaded = ModelLoader.load(cmd.model)) {
            im = targetImatrix != null ? targetImatrix : cmd.gguf.imatrix != null ? ImportanceMatrix.read(cmd.gguf.imatrix)
                    : ImatrixCommand.collect(loaded, cmd.calibration.calibration, cmd.calibration.textField, cmd.calibration.seqlen,
                            cmd.calibration.nsamples, log).result().matrix();
            GgufGptqMethod method = new GgufGptqMethod(loaded.model(), hf -> types.get(LlamaTensorNames.toGguf(hf)), cfg, cmd.trueSequential, log);
            List<int[]> samples = cmd.calibration.samples(Tokenizers.load(loaded.tokenizerDir()), CalibrationSampler.Style.GPTQ);
            log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
            cmd.runLayers(loaded.model(), samples, method, "gguf-gptq|" + mix + "|" + types.values() + "|" + cfg, false, log);
            log.print(method.errorTable());
            for (Map.Entry<String, GgufGptqQuantizer.Result> e : method.encoded().entrySet()) {
                encoded.put(LlamaTensorNames.toGguf(e.getKey()), new GgufConverter.Encoded(e.getValue().type(), e.getValue().bytes()));
            }
        }
        GgufConverter.Result r = GgufConverter.convert(cmd.model, cmd.output, GgufConverter.mixChooser(cmd.model, mix, overrides, true), im,
                cmd.overwrite || cmd.resume, encoded);
        cmd.deleteWorkDir();
        log.printf(Locale.ROOT, "GPTQ inside the block types: %d of %d tensors%n", encoded.size(), r.tensors().size());
        ConvertCommand.printSummary(new PrintWriter(System.out, true), r, mix, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
