package dev.calq.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code quantize --format gguf} to a size target, and the sensitivity measurement behind it. */
final class TargetOptions {
    @Option(names = "--target-size", paramLabel = "SIZE", description = "Choose every tensor's type from measured sensitivity so the file is at most SIZE (e.g. 32MiB, 4.5GB, 31000000), within 1%%.")
    String targetSize;

    @Option(names = "--target-bpw", paramLabel = "BITS", description = "As --target-size, with bits per weight over all tensors (e.g. 4.5).")
    Double targetBpw;

    @picocli.CommandLine.Mixin SensitivityOptions sensitivity = new SensitivityOptions();

    @Option(names = "--sensitivity", paramLabel = "FILE", description = "Reuse a sensitivity.json (or report folder) of calq sensitivity / --report instead of measuring; pass the --imatrix it was measured with.")
    Path sensitivityTable;

    @Option(names = "--tensor-types-output", paramLabel = "FILE", description = "Where to save the chosen types as a --tensor-type-file (default: OUTPUT.tensor-types.txt).")
    Path tensorTypesOutput;

    @Option(names = "--report", paramLabel = "DIR", description = "Also write the sensitivity report (CSV, JSON, heatmap and size-vs-KL plots) to DIR.")
    Path report;

    boolean given() { return targetSize != null || targetBpw != null; }
}
