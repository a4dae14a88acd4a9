package dev.calq.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** GGUF output options of {@code calq quantize}: --format gguf, --also-gguf. */
final class GgufOptions {
    @Option(names = "--type", paramLabel = "MIX", defaultValue = "Q4_K_M",
            description = "llama-quantize mix: Q4_K_M, Q4_K_S, Q5_K_M, Q5_K_S, Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, Q2_K_S, Q6_K, Q8_0, IQ4_XS, IQ4_NL, IQ3_M, IQ3_S, IQ3_XS, IQ3_XXS, IQ2_M, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S, Q4_0, F16, BF16, F32 (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix (calq or llama-imatrix, GGUF or legacy .dat).")
    Path imatrix;

    @Option(names = "--imatrix-output", paramLabel = "FILE", description = "Also save an importance matrix of the calibration activations (any method: GPTQ and AWQ runs gather it on the way).")
    Path imatrixOutput;

    @Mixin MixFlags mixFlags = new MixFlags();

    @Option(names = "--also-gguf", paramLabel = "TYPE=FILE",
            description = "GPTQ/RTN/AWQ: also write a GGUF file of this mix from the same calibration pass, with its importance matrix (repeatable). AWQ: its scaled weights; GPTQ/RTN: the original weights.")
    List<String> alsoGguf = new ArrayList<>();

    @Mixin TargetOptions target = new TargetOptions();
}
