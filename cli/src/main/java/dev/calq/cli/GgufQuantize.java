package dev.calq.cli;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * {@code quantize --format gguf}: llama-imatrix then llama-quantize in one step. The importance matrix comes from
 * --imatrix, or is gathered from --calibration (llama.cpp's chunks of --seqlen tokens, at most --nsamples).
 */
final class GgufQuantize {
    private GgufQuantize() {}

    static int run(Path model, Path output, CalibrationOptions calibration, GgufOptions gguf, boolean overwrite, PrintStream log) {
        if (gguf.target.given()) return TargetQuantize.run(model, output, calibration, gguf, overwrite, log);
        QuantMix mix = QuantMix.forName(gguf.type);
        boolean hasImatrix = gguf.imatrix != null || calibration.given();
        MixChooser chooser = GgufConverter.mixChooser(model, mix, gguf.mixFlags.options(), hasImatrix);
        PrintWriter out = new PrintWriter(System.out, true);
        if (gguf.mixFlags.dryRun) return GgufMixRun.dryRun(model, output, chooser, hasImatrix, out);
        AtomicOutput.checkTarget(output, overwrite, model);
        ImportanceMatrix im = null;
        if (gguf.imatrix != null) {
            im = ImportanceMatrix.read(gguf.imatrix);
        } else if (calibration.given()) {
            try (LoadedModel loaded = ModelLoader.load(model)) {
                im = ImatrixCommand.collect(loaded, calibration.calibration, calibration.textField, calibration.seqlen,
                        calibration.nsamples, log).result().matrix();
            }
            if (gguf.imatrixOutput != null) im.write(gguf.imatrixOutput, false, overwrite);
        }
        long t0 = System.nanoTime();
        GgufConverter.Result r = GgufConverter.convert(model, output, chooser, im, overwrite);
        ConvertCommand.printSummary(out, r, mix, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
