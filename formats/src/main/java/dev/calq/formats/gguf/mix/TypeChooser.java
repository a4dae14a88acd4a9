package dev.calq.formats.gguf.mix;

import dev.calq.formats.gguf.quant.GgmlType;

/**
 * Decides each tensor's ggml type while a GGUF is written. Called once per tensor in file order (mixes count
 * attn_v and ffn_down tensors as they go, like llama-quantize).
 */
public interface TypeChooser {
    /** The type for a tensor with this llama.cpp name and ggml-order dims (ne[0] = row length). */
    GgmlType typeFor(String ggufName, long[] ne);

    /** The value for general.file_type (llama.cpp's llama_ftype). */
    int fileType();

    /** A short name for summaries ("Q4_K_M"). */
    String name();

    /** Whether llama-quantize refuses to write this tensor at this type without an importance matrix. */
    default boolean requiresImatrix(String ggufName, GgmlType type) { return MixChooser.requiresImatrix(ggufName, type, null); }
}
