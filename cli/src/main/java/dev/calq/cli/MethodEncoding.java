package dev.calq.cli;

import dev.calq.formats.CalqException;

/**
 * Which calibration method {@code quantize} can write in which encoding. Every method writes the integer grid of a
 * GPTQ checkpoint; the AWQ GEMM layout is AWQ's own; a GGUF file takes the method's float weights through a
 * llama-quantize mix, which RTN (llama-quantize's own rounding) and AWQ (its scaled weights) produce; GPTQ writes a
 * GGUF file by running inside the ggml block types ({@link dev.calq.gptq.GgufGptqJob}).
 */
final class MethodEncoding {
    private MethodEncoding() {}

    /** Throws a one-line error for a pair that makes no sense, saying why and what to use instead. */
    static void check(String method, String format, boolean methodGiven, boolean alsoGguf) {
        if (method.equals("awq+gptq") && !(format.equals("gptq") || format.equals("compressed_tensors") || format.equals("gguf")))
            throw new CalqException("--method awq+gptq writes --format gptq, compressed-tensors or gguf (GPTQ's grid after AWQ's scales); "
                    + "for the AWQ GEMM layout or NF4 use --method awq");
        if (method.equals("awq+gptq") && alsoGguf)
            throw new CalqException("--also-gguf does not apply to --method awq+gptq: GPTQ's rounding is specific to one encoding; run --format gguf --type T for each file");
        if (format.equals("awq") && !method.equals("awq"))
            throw new CalqException("--format awq needs --method awq (the AWQ GEMM layout stores AWQ-scaled weights; "
                    + method + " results go to --format gptq)");
        if (format.equals("gguf") && alsoGguf)
            throw new CalqException("--also-gguf adds GGUF files to a GPTQ or AWQ checkpoint; with --format gguf"
                    + (methodGiven ? "" : " (method rtn)") + " the output is the one GGUF file of --type");
    }
}
