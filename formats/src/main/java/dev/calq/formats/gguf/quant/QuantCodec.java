package dev.calq.formats.gguf.quant;

import java.lang.foreign.MemorySegment;

/** Encoder and decoder of one ggml type. Implementations are stateless and thread-safe. */
public interface QuantCodec {
    GgmlType type();

    /**
     * Quantizes {@code nrows} rows of {@code ne0} floats (row-major, starting at {@code srcOff}) into
     * {@code nrows * type().rowBytes(ne0)} bytes of {@code dst} at {@code dstOff}. {@code importance} holds one
     * non-negative weight per column (length ne0, llama.cpp's importance matrix entry for this tensor) or is null.
     */
    void quantize(float[] src, int srcOff, int nrows, int ne0, float[] importance, MemorySegment dst, long dstOff);

    /** Dequantizes {@code nrows} rows of {@code ne0} elements from {@code src} into {@code dst} at {@code dstOff}. */
    void dequantize(MemorySegment src, long srcOff, int nrows, int ne0, float[] dst, int dstOff);
}
