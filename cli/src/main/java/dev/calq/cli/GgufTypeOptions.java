package dev.calq.cli;

import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What a GGUF file is quantized to, declared once for {@code convert} and {@code quantize}: the mix or float type
 * (--type; the default differs by command: F16 for convert, Q4_K_M for quantize), the importance matrix file and
 * llama-quantize's per-tensor options.
 */
final class GgufTypeOptions {
    @Option(names = "--type", paramLabel = "MIX",
            description = "F32, F16, BF16 or a llama-quantize mix: Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q4_K_M, Q4_K_S, Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, Q2_K_S, IQ4_XS, IQ4_NL, IQ3_M, IQ3_S, IQ3_XS, IQ3_XXS, IQ2_M, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S, Q4_0, ... (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix (calq or llama-imatrix, GGUF or legacy .dat) used when quantizing.")
    Path imatrix;

    @Mixin MixFlags mixFlags = new MixFlags();

    /** {@code defaultType}: the command's default --type (picocli takes the field's initial value as the default). */
    GgufTypeOptions(String defaultType) { this.type = defaultType; }
}
