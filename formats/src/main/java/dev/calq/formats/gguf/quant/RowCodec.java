package dev.calq.formats.gguf.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Base of every codec: the types are defined row by row (the K-types and IQ4 read statistics of a whole
 * super-block, the legacy types with importance weights read the whole row), so subclasses encode and decode
 * one row between a float array and a byte array and this class moves rows in and out of memory segments.
 */
abstract class RowCodec implements QuantCodec {
    private final GgmlType type;

    RowCodec(GgmlType type) { this.type = type; }

    @Override
    public final GgmlType type() { return type; }

    /** Encodes {@code ne0} floats of {@code x} at {@code xOff} into {@code out} at {@code outOff}; qw is null or length ne0. */
    abstract void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff);

    /** Decodes one row of {@code ne0} elements. */
    abstract void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff);

    @Override
    public void quantize(float[] src, int srcOff, int nrows, int ne0, float[] importance, MemorySegment dst, long dstOff) {
        int rowBytes = checkShape(ne0, importance);
        byte[] buf = new byte[rowBytes];
        for (int r = 0; r < nrows; r++) {
            encodeRow(src, srcOff + r * ne0, ne0, importance, buf, 0);
            MemorySegment.copy(buf, 0, dst, ValueLayout.JAVA_BYTE, dstOff + (long) r * rowBytes, rowBytes);
        }
    }

    @Override
    public void dequantize(MemorySegment src, long srcOff, int nrows, int ne0, float[] dst, int dstOff) {
        int rowBytes = checkShape(ne0, null);
        byte[] buf = new byte[rowBytes];
        for (int r = 0; r < nrows; r++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff + (long) r * rowBytes, buf, 0, rowBytes);
            decodeRow(buf, 0, ne0, dst, dstOff + r * ne0);
        }
    }

    int checkShape(int ne0, float[] importance) {
        if (importance != null && importance.length != ne0) {
            throw new IllegalArgumentException(type + ": importance has " + importance.length + " weights for rows of " + ne0);
        }
        return Math.toIntExact(type.rowBytes(ne0));
    }
}
