package dev.calq.formats.gguf.quant;

/**
 * Q8_0: blocks of 32 weights as fp16 scale d then 32 signed bytes q, weight = q * d. The scale is
 * max|x| / 127 and each q is x / d rounded half away from zero. llama.cpp ignores importance weights here.
 */
final class Q8_0Codec extends GridCodec {
    private static final int QK = 32;

    Q8_0Codec() { super(GgmlType.Q8_0, range(-128, 127)); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        float d = QuantMath.getHalf(in, o);
        java.util.Arrays.fill(step, 0, QK, d);
        java.util.Arrays.fill(offset, 0, QK, 0f);
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) {
        for (int j = 0; j < QK; j++) out[o + 2 + j] = (byte) ((levels[j] & 0xff) - 128);
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        int[] q = new int[QK];
        for (int b = 0; b < ne0 / QK; b++) {
            int xb = xOff + b * QK;
            int o = outOff + b * 34;
            float d = BlockVectors.absMax(x, xb) / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putHalf(out, o, d);
            BlockVectors.roundedLevels(x, xb, id, q);
            for (int j = 0; j < QK; j++) out[o + 2 + j] = (byte) q[j];
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int b = 0; b < ne0 / QK; b++) {
            int o = inOff + b * 34;
            float d = QuantMath.getHalf(in, o);
            for (int j = 0; j < QK; j++) y[yOff + b * QK + j] = in[o + 2 + j] * d;
        }
    }
}
