package dev.calq.formats.gguf.quant;

/** F32: plain little-endian IEEE floats, one element per "block". */
final class F32Codec extends RowCodec {
    F32Codec() { super(GgmlType.F32); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        for (int i = 0; i < ne0; i++) QuantMath.putInt(out, outOff + 4 * i, Float.floatToRawIntBits(x[xOff + i]));
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0; i++) y[yOff + i] = Float.intBitsToFloat(QuantMath.getInt(in, inOff + 4 * i));
    }
}
