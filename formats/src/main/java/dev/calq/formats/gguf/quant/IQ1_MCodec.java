package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * IQ1_M: super-blocks of 256 weights in 56 bytes: 32 bytes of low 8 bits of an 11-bit index into the IQ1_S grid
 * (one per 8 weights); 16 bytes qh, one per block of 16: bits 0..2 and 4..6 the top index bits of its two points,
 * bits 3 and 7 their shift signs; 8 bytes of scales read as four 16-bit words: 3-bit scales of the 16 blocks in bits
 * 0..11 (block 4w + j at bits 3j of word w) and the fp16 super-scale d spread over the top nibbles (word w holds bits
 * 4w..4w+3). weight = d * (2 s + 1) * (grid value + shift), shift = +-1/8. The super-scale is refitted over the whole
 * super-block and carries ggml's fudge factor 1.1125 (quantize_row_iq1_m_impl).
 */
final class IQ1_MCodec extends RowCodec {
    private static final int BYTES = 56;
    private static final int BLOCK = 16;
    private static final float GROUP_MAX_EPS = 1e-7f;
    private static final int[] MASKS = {0x00, 0x80, 0x08, 0x88};

    IQ1_MCodec() { super(GgmlType.IQ1_M); }

    /** Level set of point k (0 or 1) of a block under shift choice s: 0 (+,+), 1 (+,-), 2 (-,+), 3 (-,-). */
    private static float[] levels(int s, int k) {
        boolean plus = k == 0 ? s < 2 : s % 2 == 0;
        return plus ? Iq1Split.X_P : Iq1Split.X_M;
    }

    private static void weights(float[] x, int xb, float[] qw, int qo, float sigma2, float[] weight) {
        if (qw != null) QuantMath.importanceWeights(qw, qo, x, xb, BLOCK, sigma2, weight);
        else for (int i = 0; i < BLOCK; i++) weight[i] = x[xb + i] * x[xb + i];
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        IqGrid grid = IqGrid.Book.IQ1S.grid();
        float[] scales = new float[QK_K / BLOCK];
        int[] shifts = new int[QK_K / BLOCK];
        float[] weight = new float[BLOCK];
        int[] idx = new int[BLOCK];
        byte[] L = new byte[BLOCK];
        int[] index = new int[2];
        float[] sumqx = new float[4];
        float[] sumq2 = new float[4];
        int[] sc = new int[4];
        boolean[] offGrid = new boolean[1];
        for (int ibl = 0; ibl < ne0 / QK_K; ibl++) {
            int o = outOff + ibl * BYTES;
            java.util.Arrays.fill(out, o, o + BYTES, (byte) 0);
            float maxScale = 0;
            int xbl = xOff + QK_K * ibl;
            float sigma2 = 2 * QuantMath.sumSquares(x, xbl, QK_K) / QK_K;
            for (int ib = 0; ib < QK_K / BLOCK; ib++) {
                int xb = xbl + BLOCK * ib;
                weights(x, xb, qw, QK_K * ibl + BLOCK * ib, sigma2, weight);
                float max = Math.abs(x[xb]);
                for (int i = 1; i < BLOCK; i++) max = Math.max(max, Math.abs(x[xb + i]));
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    shifts[ib] = 0;
                    continue;
                }
                Iq1Split.sortedOrder(x, xb, BLOCK, idx);
                float bestScore = -Float.MAX_VALUE;
                float scale = max;
                int besti1 = -1;
                int besti2 = -1;
                int bestK = -1;
                for (int i1 = 0; i1 <= BLOCK; i1++) {
                    for (int i2 = i1; i2 <= BLOCK; i2++) {
                        java.util.Arrays.fill(sumqx, 0);
                        java.util.Arrays.fill(sumq2, 0);
                        for (int j = 0; j < BLOCK; j++) {
                            int r = j < i1 ? 0 : j < i2 ? 1 : 2;
                            int i = idx[j];
                            float w = weight[i];
                            float v = x[xb + i];
                            for (int k = 0; k < 4; k++) {
                                float q = levels(k, i < BLOCK / 2 ? 0 : 1)[r];
                                sumqx[k] += w * q * v;
                                sumq2[k] += w * q * q;
                            }
                        }
                        for (int k = 0; k < 4; k++) {
                            if (sumq2[k] > 0 && sumqx[k] * sumqx[k] > bestScore * sumq2[k]) {
                                scale = sumqx[k] / sumq2[k];
                                bestScore = scale * sumqx[k];
                                besti1 = i1;
                                besti2 = i2;
                                bestK = k;
                            }
                        }
                    }
                }
                if (besti1 < 0 || besti2 < 0 || bestK < 0) {
                    scales[ib] = 0;
                    shifts[ib] = 0;
                    continue;
                }
                Iq1Split.ranksFromSplit(idx, BLOCK, besti1, besti2, L);
                if (scale < 0) {
                    for (int j = 0; j < BLOCK; j++) L[j] = (byte) (2 - L[j]);
                    scale = -scale;
                    bestK = 3 - bestK;
                }
                offGrid[0] = false;
                for (int k = 0; k < 2; k++) index[k] = Iq1Split.index(grid, x, xb, weight, scale, levels(bestK, k), L, k, offGrid);
                if (offGrid[0]) {
                    float qx = 0;
                    float q2 = 0;
                    for (int k = 0; k < 2; k++) {
                        float[] xx = levels(bestK, k);
                        for (int j = 0; j < 8; j++) {
                            float w = weight[8 * k + j];
                            float q = xx[(grid.pos[8 * index[k] + j] - 1) / 2];
                            qx += w * q * x[xb + 8 * k + j];
                            q2 += w * q * q;
                        }
                    }
                    if (qx > 0 && q2 > 0) scale = qx / q2;
                }
                out[o + 2 * ib] = (byte) index[0];
                out[o + 2 * ib + 1] = (byte) index[1];
                out[o + 32 + ib] = (byte) ((index[0] >> 8) | ((index[1] >> 8) << 4));
                scales[ib] = scale;
                shifts[ib] = bestK;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) continue;
            java.util.Arrays.fill(sc, 0);
            float d = maxScale / 15;
            float id = 1 / d;
            float qx = 0;
            float q2 = 0;
            for (int ib = 0; ib < QK_K / BLOCK; ib++) {
                int l = Math.max(0, Math.min(7, nearestInt(0.5f * (id * scales[ib] - 1))));
                sc[ib / 4] |= l << (3 * (ib % 4));
                out[o + 32 + ib] |= (byte) MASKS[shifts[ib]];
                int xb = xbl + BLOCK * ib;
                weights(x, xb, qw, QK_K * ibl + BLOCK * ib, sigma2, weight);
                int qh = out[o + 32 + ib] & 0xff;
                for (int k = 0; k < 2; k++) {
                    float[] xx = levels(shifts[ib], k);
                    int g = (out[o + 2 * ib + k] & 0xff) + ((qh << (8 - 4 * k)) & 0x700);
                    for (int j = 0; j < 8; j++) {
                        float w = weight[8 * k + j];
                        float q = xx[(grid.pos[8 * g + j] - 1) / 2] * (2 * l + 1);
                        qx += w * q * x[xb + 8 * k + j];
                        q2 += w * q * q;
                    }
                }
            }
            if (q2 > 0) d = qx / q2;
            int h = Float.floatToFloat16(d * 1.1125f) & 0xffff;
            sc[0] |= (h & 0x000f) << 12;
            sc[1] |= (h & 0x00f0) << 8;
            sc[2] |= (h & 0x0f00) << 4;
            sc[3] |= h & 0xf000;
            for (int w = 0; w < 4; w++) QuantMath.putShort(out, o + 48 + 2 * w, sc[w]);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        IqGrid grid = IqGrid.Book.IQ1S.grid();
        int[] sc = new int[4];
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            for (int w = 0; w < 4; w++) sc[w] = QuantMath.getShort(in, o + 48 + 2 * w) & 0xffff;
            int h = (sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000);
            float d = Float.float16ToFloat((short) h);
            for (int ib = 0; ib < QK_K / 32; ib++) {
                float dl1 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1);
                float dl2 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1);
                int qh0 = in[o + 32 + 2 * ib] & 0xff;
                int qh1 = in[o + 32 + 2 * ib + 1] & 0xff;
                int[] g = {
                    (in[o + 4 * ib] & 0xff) | ((qh0 << 8) & 0x700), (in[o + 4 * ib + 1] & 0xff) | ((qh0 << 4) & 0x700),
                    (in[o + 4 * ib + 2] & 0xff) | ((qh1 << 8) & 0x700), (in[o + 4 * ib + 3] & 0xff) | ((qh1 << 4) & 0x700)};
                float[] delta = {
                    (qh0 & 0x08) != 0 ? -Iq1Split.DELTA : Iq1Split.DELTA, (qh0 & 0x80) != 0 ? -Iq1Split.DELTA : Iq1Split.DELTA,
                    (qh1 & 0x08) != 0 ? -Iq1Split.DELTA : Iq1Split.DELTA, (qh1 & 0x80) != 0 ? -Iq1Split.DELTA : Iq1Split.DELTA};
                for (int l = 0; l < 4; l++) {
                    float dl = l < 2 ? dl1 : dl2;
                    int yb = yOff + QK_K * b + 32 * ib + 8 * l;
                    for (int j = 0; j < 8; j++) y[yb + j] = dl * (grid.values[8 * g[l] + j] + delta[l]);
                }
            }
        }
    }
}
