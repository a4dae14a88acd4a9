package dev.calq.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** GGUF output options of {@code calq quantize}: --format gguf, --also-gguf. */
final class GgufOptions {
    @Option(names = "--type", paramLabel = "MIX", defaultValue = "Q4_K_M",
            description = "llama-quantize mix: Q4_K_M, Q4_K_S, Q5_K_M, Q3_K_M, Q2_K, Q6_K, Q8_0, IQ4_XS, IQ4_NL, Q4_0, F16, BF16, F32 (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix (calq or llama-imatrix, GGUF or legacy .dat).")
    Path imatrix;

    @Option(names = "--imatrix-output", paramLabel = "FILE", description = "Also save an importance matrix of the calibration activations (any method: GPTQ and AWQ runs gather it on the way).")
    Path imatrixOutput;

    @Option(names = "--also-gguf", paramLabel = "TYPE=FILE",
            description = "GPTQ/RTN/AWQ: also write a GGUF file of this mix from the same calibration pass, with its importance matrix (repeatable). AWQ: its scaled weights; GPTQ/RTN: the original weights.")
    List<String> alsoGguf = new ArrayList<>();

    @Option(names = "--tensor-type", paramLabel = "REGEX=TYPE", description = "Override the type of tensors whose GGUF name matches REGEX (repeatable).")
    List<String> tensorTypes = new ArrayList<>();
}
