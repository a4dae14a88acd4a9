package dev.calq.formats.gguf.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The two 16-bit float types: one conversion per element, written straight into the segment. */
abstract class HalfCodec extends RowCodec {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    HalfCodec(GgmlType type) { super(type); }

    abstract short toHalf(float v);

    abstract float fromHalf(short h);

    /** For a 2-byte type the row buffer of {@link RowCodec} would cost more than the conversion itself. */
    @Override
    public void quantize(float[] src, int srcOff, int nrows, int ne0, float[] importance, MemorySegment dst, long dstOff) {
        checkShape(ne0, importance);
        long n = (long) nrows * ne0;
        for (int i = 0; i < n; i++) dst.set(LE_SHORT, dstOff + 2L * i, toHalf(src[srcOff + i]));
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        for (int i = 0; i < ne0; i++) QuantMath.putShort(out, outOff + 2 * i, toHalf(x[xOff + i]));
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0; i++) y[yOff + i] = fromHalf(QuantMath.getShort(in, inOff + 2 * i));
    }
}
