package dev.calq.formats.gguf.quant;

/**
 * Q5_0: blocks of 32 weights as fp16 scale d, a 32-bit little-endian word whose bit j is the fifth bit of
 * weight j, then 16 bytes of low nibbles (byte j: weight j low, weight j+16 high); weight = (q - 16) * d.
 * Without importance weights d is the signed weight of largest magnitude over -16; with them,
 * make_qx_quants searches it under weights qw_i * sqrt(sigma^2 + x_i^2).
 */
final class Q5_0Codec extends GridCodec {
    private static final int QK = 32;
    private static final int BYTES = 22;

    Q5_0Codec() { super(GgmlType.Q5_0, range(-16, 15)); }

    @Override
    public void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o) {
        if (qw == null) {
            super.chooseScales(x, xOff, ne0, null, block, out, o);
            return;
        }
        WeightedBlocks.quantizeBlock(x, xOff, ne0, qw, block, 16, false, (b, d, m, L) -> pack(d, L, out, o));
    }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        java.util.Arrays.fill(step, 0, QK, QuantMath.getHalf(in, o));
        java.util.Arrays.fill(offset, 0, QK, 0f);
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { packBits(levels, out, o + 2); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        if (qw == null) {
            encodeReference(x, xOff, ne0, out, outOff);
            return;
        }
        WeightedBlocks.quantize(x, xOff, ne0, qw, 16, false, (b, d, m, L) -> pack(d, L, out, outOff + b * BYTES));
    }

    private static void encodeReference(float[] x, int xOff, int ne0, byte[] out, int outOff) {
        byte[] L = new byte[QK];
        int[] q = new int[QK];
        for (int b = 0; b < ne0 / QK; b++) {
            int xb = xOff + b * QK;
            float d = BlockVectors.signedAbsMax(x, xb) / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BlockVectors.truncatedLevels(x, xb, 0.0f, id, 16.5f, 31, q);
            for (int j = 0; j < QK; j++) L[j] = (byte) q[j];
            pack(d, L, out, outOff + b * BYTES);
        }
    }

    /** Writes d, the fifth bits of the 32 levels, and their low nibbles. */
    static void pack(float d, byte[] L, byte[] out, int o) {
        QuantMath.putHalf(out, o, d);
        packBits(L, out, o + 2);
    }

    /** The qh word then the nibbles, shared with Q5_1 whose block only differs by the extra fp16 minimum. */
    static void packBits(byte[] L, byte[] out, int o) {
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = L[j] & 0xff;
            int q1 = L[j + 16] & 0xff;
            out[o + 4 + j] = (byte) ((q0 & 0x0f) | ((q1 & 0x0f) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        QuantMath.putInt(out, o, qh);
    }

    /** Reads the 32 five-bit levels written by {@link #packBits}. */
    static void unpackBits(byte[] in, int o, int[] q) {
        int qh = QuantMath.getInt(in, o);
        for (int j = 0; j < 16; j++) {
            int b = in[o + 4 + j] & 0xff;
            q[j] = (b & 0x0f) | (((qh >>> j) & 1) << 4);
            q[j + 16] = (b >> 4) | (((qh >>> (j + 16)) & 1) << 4);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        int[] q = new int[QK];
        for (int b = 0; b < ne0 / QK; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            unpackBits(in, o + 2, q);
            for (int j = 0; j < QK; j++) y[yOff + b * QK + j] = (q[j] - 16) * d;
        }
    }
}
