package dev.calq.formats.gguf.quant;

/** F16: IEEE half floats, rounded to nearest even as ggml's fp32-to-fp16 conversion does. */
final class F16Codec extends RowCodec {
    F16Codec() { super(GgmlType.F16); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        for (int i = 0; i < ne0; i++) QuantMath.putHalf(out, outOff + 2 * i, x[xOff + i]);
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0; i++) y[yOff + i] = QuantMath.getHalf(in, inOff + 2 * i);
    }
}
