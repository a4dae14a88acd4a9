package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * Q3_K: super-blocks of 256 weights in 110 bytes: 32 bytes hmask (bit b of byte m is the high bit of level
 * 32b + m), 64 bytes of low 2-bit levels ({@link KLayout#pack2Bit}), 12 bytes of sixteen 6-bit signed scales
 * (stored +32: low nibbles of scales 0-7 and 8-15 in the low and high halves of bytes 0-7, top two bits of
 * scale j in bits 2(j/4) of byte 8 + j%4), fp16 d; weight = d * (scale_j - 32) * (level - 4).
 */
final class Q3_KCodec extends GridCodec {
    private static final int BYTES = 110;
    private static final int HMASK = 0;
    private static final int QS = 32;
    private static final int SCALES = 96;
    private static final int D = 108;

    Q3_KCodec() { super(GgmlType.Q3_K, range(-4, 3)); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        float dAll = QuantMath.getHalf(in, o + D);
        for (int j = 0; j < 16; j++) java.util.Arrays.fill(step, 16 * j, 16 * j + 16, dAll * (getScale(in, o, j) - 32));
        java.util.Arrays.fill(offset, 0, QK_K, 0f);
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { packLevelBits(levels.clone(), out, o); }

    /** The high bits into hmask and the low two bits into the 2-bit planes; L (levels 0..7) is left holding the low bits. */
    private static void packLevelBits(byte[] L, byte[] out, int o) {
        for (int k = 0; k < 32; k++) out[o + HMASK + k] = 0;
        for (int j = 0; j < QK_K; j++) {
            if (L[j] > 3) {
                out[o + HMASK + j % 32] |= (byte) (1 << (j / 32));
                L[j] -= 4;
            }
        }
        KLayout.pack2Bit(L, out, o + QS);
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        float[] weight = new float[16];
        float[] sw = new float[16];
        byte[] ls = new byte[16];
        for (int i = 0; i < ne0 / QK_K; i++) {
            int xb = xOff + i * QK_K;
            int o = outOff + i * BYTES;
            for (int k = 0; k < 12; k++) out[o + SCALES + k] = 0;
            if (qw == null) {
                float maxScale = 0;
                float amax = 0;
                for (int j = 0; j < 16; j++) {
                    scales[j] = ScaleSearch.makeQ3(16, 4, x, xb + 16 * j, L, 16 * j, true);
                    float a = Math.abs(scales[j]);
                    if (a > amax) {
                        amax = a;
                        maxScale = scales[j];
                    }
                }
                if (maxScale != 0) {
                    float iscale = -32.f / maxScale;
                    for (int j = 0; j < 16; j++) {
                        int l = (byte) nearestInt(iscale * scales[j]);
                        putScale(out, o, j, Math.max(-32, Math.min(31, l)) + 32);
                    }
                    QuantMath.putHalf(out, o + D, 1 / iscale);
                } else {
                    QuantMath.putHalf(out, o + D, 0.f);
                }
            } else {
                float sigma2 = 2 * QuantMath.sumSquares(x, xb, QK_K) / QK_K;
                for (int j = 0; j < 16; j++) {
                    QuantMath.importanceWeights(qw, i * QK_K + 16 * j, x, xb + 16 * j, 16, sigma2, weight);
                    float s = 0;
                    for (int l = 0; l < 16; l++) s += weight[l];
                    sw[j] = s;
                    scales[j] = VectorSearch.local().makeQx(16, 4, x, xb + 16 * j, L, 16 * j, 1, weight, 0);
                }
                float dBlock = VectorSearch.local().makeQx(16, 32, scales, 0, ls, 0, 1, sw, 0);
                for (int j = 0; j < 16; j++) putScale(out, o, j, ls[j]);
                QuantMath.putHalf(out, o + D, dBlock);
            }
            float dAll = QuantMath.getHalf(out, o + D);
            for (int j = 0; j < 16; j++) {
                float d = dAll * (getScale(out, o, j) - 32);
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
                }
            }
            packLevelBits(L, out, o);
        }
    }

    /** Stores the 6-bit value l (scale + 32) of sub-block j. */
    private static void putScale(byte[] out, int o, int j, int l) {
        if (j < 8) out[o + SCALES + j] = (byte) (l & 0xf);
        else out[o + SCALES + j - 8] |= (byte) ((l & 0xf) << 4);
        out[o + SCALES + 8 + j % 4] |= (byte) ((l >> 4) << (2 * (j / 4)));
    }

    /** The stored 6-bit value (scale + 32) of sub-block j. */
    private static int getScale(byte[] in, int o, int j) {
        int low = j < 8 ? in[o + SCALES + j] & 0xf : (in[o + SCALES + j - 8] & 0xff) >> 4;
        return low | ((((in[o + SCALES + 8 + j % 4] & 0xff) >> (2 * (j / 4))) & 3) << 4);
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0 / QK_K; i++) {
            int o = inOff + i * BYTES;
            float dAll = QuantMath.getHalf(in, o + D);
            for (int k = 0; k < QK_K; k++) {
                float dl = dAll * (getScale(in, o, k / 16) - 32);
                int high = (in[o + HMASK + k % 32] >> (k / 32)) & 1;
                y[yOff + i * QK_K + k] = dl * (KLayout.get2Bit(in, o + QS, k) - (high != 0 ? 0 : 4));
            }
        }
    }
}
