package dev.calq.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** GGUF output options of {@code calq quantize}: --format gguf, --also-gguf. */
final class GgufOptions {
    @Mixin GgufTypeOptions types = new GgufTypeOptions("Q4_K_M");

    @Option(names = "--imatrix-output", paramLabel = "FILE", description = "Also save an importance matrix of the calibration activations (any method: GPTQ and AWQ runs gather it on the way).")
    Path imatrixOutput;

    @Option(names = "--also-gguf", paramLabel = "TYPE=FILE",
            description = "GPTQ/RTN/AWQ: also write a GGUF file of this mix from the same calibration pass, with its importance matrix (repeatable). AWQ: its scaled weights; GPTQ/RTN: the original weights.")
    List<String> alsoGguf = new ArrayList<>();

    @Mixin TargetOptions target = new TargetOptions();
}
