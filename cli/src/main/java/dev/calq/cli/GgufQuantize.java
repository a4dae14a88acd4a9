package dev.calq.cli;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * {@code quantize --format gguf} (method rtn): llama-imatrix then llama-quantize in one step. The importance matrix
 * comes from --imatrix, or is gathered from --calibration (llama.cpp's chunks of --seqlen tokens, at most
 * --nsamples) on the model opened once for both.
 */
final class GgufQuantize {
    private GgufQuantize() {}

    static int run(Path model, Path output, CalibrationOptions calibration, GgufOptions gguf, boolean overwrite, PrintStream log) {
        if (gguf.target.given()) return TargetQuantize.run(model, output, calibration, gguf, overwrite, log);
        GgufJob.Target target = new GgufJob.Target(gguf.type, gguf.mixFlags.options(), output);
        PrintWriter out = new PrintWriter(System.out, true);
        if (gguf.mixFlags.dryRun) return GgufMixRun.dryRun(model, target, gguf.imatrix != null || calibration.given(), out);
        AtomicOutput.checkTarget(output, overwrite, model, calibration.path(), gguf.imatrix);
        if (gguf.imatrixOutput != null) AtomicOutput.checkTarget(gguf.imatrixOutput, overwrite, model, calibration.path(), output);
        long t0;
        GgufConverter.Result r;
        if (gguf.imatrix == null && calibration.given()) {
            try (LoadedModel loaded = ModelLoader.load(model)) {
                ImportanceMatrix im = ImatrixCommand.collect(loaded, calibration.calibration, calibration.textField, calibration.seqlen,
                        calibration.nsamples, log).result().matrix();
                if (gguf.imatrixOutput != null) im.write(gguf.imatrixOutput, false, overwrite);
                t0 = System.nanoTime();
                r = GgufJob.write(new GgufConverter.Source(model, loaded.config(), loaded.weights()), target, im, overwrite);
            }
        } else {
            ImportanceMatrix im = gguf.imatrix != null ? ImportanceMatrix.read(gguf.imatrix) : null;
            t0 = System.nanoTime();
            r = GgufJob.write(model, target, im, overwrite);
        }
        ConvertCommand.printSummary(out, r, target.mix(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
