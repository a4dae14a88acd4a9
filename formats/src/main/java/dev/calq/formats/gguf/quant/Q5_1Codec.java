package dev.calq.formats.gguf.quant;

/**
 * Q5_1: blocks of 32 weights as fp16 scale d, fp16 minimum m, the 32-bit word of fifth bits, then 16 bytes
 * of low nibbles (the Q5_0 bit layout); weight = q * d + m. Without importance weights d = (max - min) / 31 and
 * m = min; with them, make_qkx3_quants searches scale and offset under weights qw_i * sqrt(sigma^2 + x_i^2).
 */
final class Q5_1Codec extends GridCodec {
    private static final int QK = 32;
    private static final int BYTES = 24;

    Q5_1Codec() { super(GgmlType.Q5_1, range(0, 31)); }

    @Override
    public void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o) {
        if (qw == null) {
            super.chooseScales(x, xOff, ne0, null, block, out, o);
            return;
        }
        WeightedBlocks.quantizeBlock(x, xOff, ne0, qw, block, 31, true, (b, d, m, L) -> pack(d, m, L, out, o));
    }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        java.util.Arrays.fill(step, 0, QK, QuantMath.getHalf(in, o));
        java.util.Arrays.fill(offset, 0, QK, QuantMath.getHalf(in, o + 2));
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { Q5_0Codec.packBits(levels, out, o + 4); }

    private static void pack(float d, float m, byte[] L, byte[] out, int o) {
        QuantMath.putHalf(out, o, d);
        QuantMath.putHalf(out, o + 2, m);
        Q5_0Codec.packBits(L, out, o + 4);
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        if (qw == null) {
            encodeReference(x, xOff, ne0, out, outOff);
            return;
        }
        WeightedBlocks.quantize(x, xOff, ne0, qw, 31, true, (b, d, m, L) -> pack(d, m, L, out, outOff + b * BYTES));
    }

    private static void encodeReference(float[] x, int xOff, int ne0, byte[] out, int outOff) {
        byte[] L = new byte[QK];
        int[] q = new int[QK];
        for (int b = 0; b < ne0 / QK; b++) {
            int xb = xOff + b * QK;
            int o = outOff + b * BYTES;
            float min = BlockVectors.min(x, xb);
            float max = BlockVectors.max(x, xb);
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putHalf(out, o, d);
            QuantMath.putHalf(out, o + 2, min);
            // No clamp here, as in llama.cpp: a level of 32 from rounding wraps into the 5 stored bits.
            BlockVectors.truncatedLevels(x, xb, min, id, 0.5f, 255, q);
            for (int j = 0; j < QK; j++) L[j] = (byte) q[j];
            Q5_0Codec.packBits(L, out, o + 4);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        int[] q = new int[QK];
        for (int b = 0; b < ne0 / QK; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            float m = QuantMath.getHalf(in, o + 2);
            Q5_0Codec.unpackBits(in, o + 4, q);
            for (int j = 0; j < QK; j++) y[yOff + b * QK + j] = q[j] * d + m;
        }
    }
}
