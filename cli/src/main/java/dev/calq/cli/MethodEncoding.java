package dev.calq.cli;

import dev.calq.formats.CalqException;

/**
 * Which calibration method {@code quantize} can write in which encoding. Every method writes the integer grid of a
 * GPTQ checkpoint; the AWQ GEMM layout is AWQ's own; a GGUF file takes the method's float weights through a
 * llama-quantize mix, which RTN (llama-quantize's own rounding) and AWQ (its scaled weights) produce, but GPTQ's
 * result is tied to its grid until GPTQ runs inside the ggml block types.
 */
final class MethodEncoding {
    private MethodEncoding() {}

    /** Throws a one-line error for a pair that makes no sense, saying why and what to use instead. */
    static void check(String method, String format, boolean methodGiven, boolean alsoGguf) {
        if (format.equals("awq") && !method.equals("awq"))
            throw new CalqException("--format awq needs --method awq (the AWQ GEMM layout stores AWQ-scaled weights; "
                    + method + " results go to --format gptq)");
        if (format.equals("gguf") && method.equals("gptq"))
            throw new CalqException("--method gptq --format gguf: GPTQ inside llama.cpp's block types is not implemented yet; "
                    + "use --method rtn or awq for a GGUF file, or a GPTQ checkpoint with --also-gguf TYPE=FILE "
                    + "(a GGUF of the original weights with the same pass's importance matrix)");
        if (format.equals("gguf") && alsoGguf)
            throw new CalqException("--also-gguf adds GGUF files to a GPTQ or AWQ checkpoint; with --format gguf"
                    + (methodGiven ? "" : " (method rtn)") + " the output is the one GGUF file of --type");
    }
}
