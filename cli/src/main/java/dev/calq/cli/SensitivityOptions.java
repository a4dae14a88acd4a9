package dev.calq.cli;

import dev.calq.gptq.sensitivity.SensitivityPass;
import picocli.CommandLine.Option;

/** How the sensitivity is measured, shared by {@code calq sensitivity} and {@code quantize --target-size}. */
final class SensitivityOptions {
    @Option(names = "--candidate-types", paramLabel = "T,T,...", defaultValue = SensitivityPass.DEFAULT_CANDIDATES,
            description = "ggml types measured and chosen from (default: ${DEFAULT-VALUE}).")
    String candidateTypes;

    @Option(names = "--gain-type", paramLabel = "TYPE", defaultValue = "Q2_K",
            description = "Type of the single-tensor substitutions that turn Hessian errors into KL divergence (default: ${DEFAULT-VALUE}).")
    String gainType;

    @Option(names = "--probe-chunks", paramLabel = "N", defaultValue = "1",
            description = "Calibration chunks on which substitutions are measured end to end (default: ${DEFAULT-VALUE}).")
    int probeChunks;

    @Option(names = "--sample-rows", paramLabel = "N", defaultValue = "64",
            description = "Rows of each projection the trial quantizations estimate its error from: at least N and 1/16 of them, 16x that for token_embd and output; 0 quantizes every row (default: ${DEFAULT-VALUE}).")
    int sampleRows;

    /** The validated settings as the sensitivity pass takes them. */
    SensitivityPass.Settings settings() {
        return new SensitivityPass.Settings(SensitivityPass.parseCandidates(candidateTypes), SensitivityPass.parseCandidates(gainType).getFirst(),
                probeChunks, sampleRows);
    }
}
