package dev.calq.imatrix;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.datasets.CalibrationSpec;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code quantize --format gguf --calibration SRC} (method rtn): llama-imatrix then llama-quantize in one step, on the
 * model opened once for both. The importance matrix comes from llama.cpp's chunks of --seqlen tokens, at most
 * --nsamples of them.
 */
public final class ImatrixGgufJob {
    private ImatrixGgufJob() {}

    /** With {@code dryRun} only the plan (as it will be with an importance matrix), nothing written. */
    public static GgufJob.Outcome run(Path model, GgufJob.Target target, CalibrationSpec calibration, Path imatrixOutput, boolean dryRun,
                                      boolean overwrite, PrintStream log) {
        if (dryRun) return new GgufJob.Outcome(null, GgufJob.plan(model, target, true));
        try (LoadedModel loaded = ModelLoader.load(model)) {
            ImportanceMatrix im = new LlamaImatrix().gather(loaded, calibration, log);
            if (imatrixOutput != null) im.write(imatrixOutput, false, overwrite);
            long t0 = System.nanoTime();
            GgufConverter.Result r = GgufJob.write(new GgufConverter.Source(model, loaded.config(), loaded.weights()), target, im, overwrite);
            return new GgufJob.Outcome(new GgufJob.Written(r, target.mix(), (System.nanoTime() - t0) / 1e9), null);
        }
    }
}
