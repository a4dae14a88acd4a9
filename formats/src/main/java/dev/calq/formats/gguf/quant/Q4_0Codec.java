package dev.calq.formats.gguf.quant;

/**
 * Q4_0: blocks of 32 weights as fp16 scale d then 16 bytes; byte j holds weight j in its low nibble and weight
 * j+16 in its high nibble; weight = (nibble - 8) * d. Without importance weights the scale is the signed weight
 * of largest magnitude divided by -8 (llama.cpp's reference quantizer); with them, make_qx_quants searches the
 * scale under weights qw_i * sqrt(sigma^2 + x_i^2), sigma^2 being the row's mean square.
 */
final class Q4_0Codec extends GridCodec {
    private static final int QK = 32;
    private static final int BYTES = 18;

    Q4_0Codec() { super(GgmlType.Q4_0, range(-8, 7)); }

    @Override
    public void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o) {
        if (qw == null) {
            super.chooseScales(x, xOff, ne0, null, block, out, o);
            return;
        }
        WeightedBlocks.quantizeBlock(x, xOff, ne0, qw, block, 8, false, (b, d, m, L) -> pack(d, L, out, o));
    }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        java.util.Arrays.fill(step, 0, QK, QuantMath.getHalf(in, o));
        java.util.Arrays.fill(offset, 0, QK, 0f);
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { pack(QuantMath.getHalf(out, o), levels, out, o); }

    private static void pack(float d, byte[] L, byte[] out, int o) {
        QuantMath.putHalf(out, o, d);
        for (int j = 0; j < 16; j++) out[o + 2 + j] = (byte) (L[j] | (L[j + 16] << 4));
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        if (qw == null) {
            encodeReference(x, xOff, ne0, out, outOff);
            return;
        }
        WeightedBlocks.quantize(x, xOff, ne0, qw, 8, false, (b, d, m, L) -> pack(d, L, out, outOff + b * BYTES));
    }

    private static void encodeReference(float[] x, int xOff, int ne0, byte[] out, int outOff) {
        int[] q = new int[QK];
        for (int b = 0; b < ne0 / QK; b++) {
            int xb = xOff + b * QK;
            int o = outOff + b * BYTES;
            float d = BlockVectors.signedAbsMax(x, xb) / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putHalf(out, o, d);
            BlockVectors.truncatedLevels(x, xb, 0.0f, id, 8.5f, 15, q);
            for (int j = 0; j < 16; j++) out[o + 2 + j] = (byte) (q[j] | (q[j + 16] << 4));
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int b = 0; b < ne0 / QK; b++) {
            int o = inOff + b * BYTES;
            int yb = yOff + b * QK;
            float d = QuantMath.getHalf(in, o);
            for (int j = 0; j < 16; j++) {
                int q = in[o + 2 + j] & 0xff;
                y[yb + j] = ((q & 0x0f) - 8) * d;
                y[yb + 16 + j] = ((q >> 4) - 8) * d;
            }
        }
    }
}
