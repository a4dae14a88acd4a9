package dev.calq.formats.gguf.quant;

/**
 * Q4_1: blocks of 32 weights as fp16 scale d, fp16 minimum m, then 16 bytes of nibbles (byte j: weight j low,
 * weight j+16 high); weight = nibble * d + m. Without importance weights d = (max - min) / 15 and m = min;
 * with them, make_qkx3_quants searches scale and offset under weights qw_i * sqrt(sigma^2 + x_i^2).
 */
final class Q4_1Codec extends GridCodec {
    private static final int QK = 32;
    private static final int BYTES = 20;

    Q4_1Codec() { super(GgmlType.Q4_1, range(0, 15)); }

    @Override
    public void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o) {
        if (qw == null) {
            super.chooseScales(x, xOff, ne0, null, block, out, o);
            return;
        }
        WeightedBlocks.quantizeBlock(x, xOff, ne0, qw, block, 15, true, (b, d, m, L) -> pack(d, m, L, out, o));
    }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        java.util.Arrays.fill(step, 0, QK, QuantMath.getHalf(in, o));
        java.util.Arrays.fill(offset, 0, QK, QuantMath.getHalf(in, o + 2));
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) {
        for (int j = 0; j < 16; j++) out[o + 4 + j] = (byte) (levels[j] | (levels[j + 16] << 4));
    }

    private static void pack(float d, float m, byte[] L, byte[] out, int o) {
        QuantMath.putHalf(out, o, d);
        QuantMath.putHalf(out, o + 2, m);
        for (int j = 0; j < 16; j++) out[o + 4 + j] = (byte) (L[j] | (L[j + 16] << 4));
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        if (qw == null) {
            encodeReference(x, xOff, ne0, out, outOff);
            return;
        }
        WeightedBlocks.quantize(x, xOff, ne0, qw, 15, true, (b, d, m, L) -> pack(d, m, L, out, outOff + b * BYTES));
    }

    private static void encodeReference(float[] x, int xOff, int ne0, byte[] out, int outOff) {
        int[] q = new int[QK];
        for (int b = 0; b < ne0 / QK; b++) {
            int xb = xOff + b * QK;
            int o = outOff + b * BYTES;
            float min = BlockVectors.min(x, xb);
            float max = BlockVectors.max(x, xb);
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putHalf(out, o, d);
            QuantMath.putHalf(out, o + 2, min);
            BlockVectors.truncatedLevels(x, xb, min, id, 0.5f, 15, q);
            for (int j = 0; j < 16; j++) out[o + 4 + j] = (byte) (q[j] | (q[j + 16] << 4));
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int b = 0; b < ne0 / QK; b++) {
            int o = inOff + b * BYTES;
            int yb = yOff + b * QK;
            float d = QuantMath.getHalf(in, o);
            float m = QuantMath.getHalf(in, o + 2);
            for (int j = 0; j < 16; j++) {
                int q = in[o + 4 + j] & 0xff;
                y[yb + j] = (q & 0x0f) * d + m;
                y[yb + 16 + j] = (q >> 4) * d + m;
            }
        }
    }
}
