package dev.calq.formats.gguf.quant;

/** BF16: the top 16 bits of a float32, rounded to nearest even (NaNs kept, made quiet), as ggml does. */
final class BF16Codec extends RowCodec {
    BF16Codec() { super(GgmlType.BF16); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        for (int i = 0; i < ne0; i++) QuantMath.putShort(out, outOff + 2 * i, QuantMath.floatToBf16(x[xOff + i]));
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0; i++) y[yOff + i] = QuantMath.bf16ToFloat(QuantMath.getShort(in, inOff + 2 * i));
    }
}
