package dev.calq.cli;

import dev.calq.awq.AwqConfig;
import dev.calq.formats.CalqException;
import picocli.CommandLine.Option;

/** AWQ's search options. */
final class AwqOptions {
    @Option(names = "--awq-grid", defaultValue = "20", description = "AWQ: scale exponents tried per group (default: ${DEFAULT-VALUE}).")
    int awqGrid;

    @Option(names = "--duo-scaling", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "AWQ: scales from activation and weight magnitudes, AutoAWQ's default (--no-duo-scaling: llm-awq's activation-only scales).")
    boolean duoScaling;

    @Option(names = "--awq-clip", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "AWQ: search a clipping range per output group after scaling (default: on).")
    boolean awqClip;

    @Option(names = "--max-shrink", defaultValue = "0.5", description = "AWQ clip search: smallest range tried is 1 - this (default: ${DEFAULT-VALUE}).")
    double maxShrink;

    @Option(names = "--awq-gqa-output", description = "AWQ: also scale v_proj -> o_proj under grouped-query attention (one scale per kv channel).")
    boolean awqGqaOutput;

    /** The tokens AWQ's search reads under --method awq+gptq by default: AWQ's own calibration size, 16 x 512. */
    static final long AWQ_GPTQ_MAX_TOKENS = 8192;

    @Option(names = "--awq-max-tokens", paramLabel = "N",
            description = "AWQ: cache at most N tokens of each layer's inputs, whole samples from the first (default: all calibration tokens; "
                    + "8192 for --method awq+gptq, whose GPTQ calibration is larger).")
    Long awqMaxTokens;

    /** --awq-max-tokens, or {@code whenAbsent}; refused unless positive (the search caches whole samples up to it). */
    long maxTokens(long whenAbsent) {
        if (awqMaxTokens == null) return whenAbsent;
        if (awqMaxTokens < 1) throw new CalqException("--awq-max-tokens " + awqMaxTokens + " must be at least 1");
        return awqMaxTokens;
    }

    AwqConfig config() {
        try {
            return new AwqConfig(awqGrid, duoScaling, awqClip, maxShrink, 20, 512, awqGqaOutput);
        } catch (IllegalArgumentException e) {
            throw new CalqException(e.getMessage());
        }
    }
}
