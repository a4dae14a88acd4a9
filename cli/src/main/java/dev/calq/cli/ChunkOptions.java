package dev.calq.cli;

import dev.calq.formats.CalqException;
import picocli.CommandLine.Option;

/**
 * llama.cpp's chunking of a text, one meaning for {@code eval} and {@code imatrix}: consecutive chunks of --ctx
 * tokens, the first --chunks of them (all when absent or 0).
 */
final class ChunkOptions {
    @Option(names = "--ctx", defaultValue = "512", description = "Tokens per chunk, the context length (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--chunks", paramLabel = "N", description = "Use only the first N chunks (default, or 0: all).")
    Integer chunks;

    /** The --chunks count, 0 meaning every chunk. */
    int count() { return chunks == null ? 0 : chunks; }

    void check() {
        if (ctx < 4) throw new CalqException("--ctx " + ctx + " is too small (at least 4)");
        if (chunks != null && chunks < 0) throw new CalqException("--chunks " + chunks + " must be at least 1 (or 0, the default, for all chunks)");
    }
}
