package dev.calq.formats.gguf.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** F16: IEEE half floats, rounded to nearest even as ggml's fp32-to-fp16 conversion does. */
final class F16Codec extends RowCodec {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    F16Codec() { super(GgmlType.F16); }

    /** Writes straight into the segment: for a 2-byte type the row buffer would cost more than the conversion. */
    @Override
    public void quantize(float[] src, int srcOff, int nrows, int ne0, float[] importance, MemorySegment dst, long dstOff) {
        checkShape(ne0, importance);
        long n = (long) nrows * ne0;
        for (int i = 0; i < n; i++) dst.set(LE_SHORT, dstOff + 2L * i, Float.floatToFloat16(src[srcOff + i]));
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        for (int i = 0; i < ne0; i++) QuantMath.putHalf(out, outOff + 2 * i, x[xOff + i]);
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0; i++) y[yOff + i] = QuantMath.getHalf(in, inOff + 2 * i);
    }
}
