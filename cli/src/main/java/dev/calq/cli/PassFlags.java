package dev.calq.cli;

import dev.calq.calibration.runner.PassOptions;
import dev.calq.formats.Sizes;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Memory, checkpoints and replacing outputs of a layer-by-layer run. */
final class PassFlags {
    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory budget, e.g. 8g or 512m (default: 60%% of the heap); hidden states beyond it spill to disk.")
    String memory;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Checkpoint folder (default: OUTPUT.calq-work beside the output).")
    Path workDir;

    @Option(names = "--resume", description = "Continue a killed run from its last finished layer (same command plus --resume).")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace an existing output.")
    boolean overwrite;

    PassOptions options(Path model, Path output, CalibrationOptions calibration, Path imatrixOutput) {
        long budget = memory == null ? 0 : Sizes.parse(memory, "--memory");
        return new PassOptions(model, output, calibration.spec(), workDir, budget, resume, overwrite, imatrixOutput);
    }
}
