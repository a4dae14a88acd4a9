package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * IQ1_S: super-blocks of 256 weights in 50 bytes: fp16 d; 32 bytes of low 8 bits of an 11-bit index into the
 * 2048-point grid of values -1, 0, 1 (one per 8 weights); per block of 32 a 16-bit word qh: bits 3k..3k+2 the top
 * index bits of point k, bits 12..14 the scale s, bit 15 the sign of the shift; weight = d * (2 s + 1) *
 * (grid value + shift), shift = +-1/8. The stored d carries ggml's fudge factor 1.125. The search tries every
 * split of the sorted block into three ranks, for both shifts (quantize_row_iq1_s_impl). Needs importance weights.
 */
final class IQ1_SCodec extends RowCodec {
    private static final int BYTES = 50;
    private static final int BLOCK = 32;
    private static final float GROUP_MAX_EPS = 1e-12f;

    IQ1_SCodec() { super(GgmlType.IQ1_S); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        if (qw == null) throw new IllegalArgumentException("IQ1_S needs an importance matrix");
        IqGrid grid = IqGrid.Book.IQ1S.grid();
        float[] scales = new float[QK_K / BLOCK];
        int[] shifts = new int[QK_K / BLOCK];
        float[] weight = new float[BLOCK];
        float[] sumx = new float[BLOCK + 1];
        float[] sumw = new float[BLOCK + 1];
        int[] idx = new int[BLOCK];
        byte[] L = new byte[BLOCK];
        int[] index = new int[BLOCK / 8];
        int[] qh = new int[QK_K / BLOCK];
        boolean[] offGrid = new boolean[1];
        for (int ibl = 0; ibl < ne0 / QK_K; ibl++) {
            int o = outOff + ibl * BYTES;
            java.util.Arrays.fill(out, o, o + BYTES, (byte) 0);
            java.util.Arrays.fill(qh, 0);
            float maxScale = 0;
            int xbl = xOff + QK_K * ibl;
            float sigma2 = 2 * QuantMath.sumSquares(x, xbl, QK_K) / QK_K;
            for (int ib = 0; ib < QK_K / BLOCK; ib++) {
                int xb = xbl + BLOCK * ib;
                QuantMath.importanceWeights(qw, QK_K * ibl + BLOCK * ib, x, xb, BLOCK, sigma2, weight);
                float max = Math.abs(x[xb]);
                for (int i = 1; i < BLOCK; i++) max = Math.max(max, Math.abs(x[xb + i]));
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    shifts[ib] = 1;
                    continue;
                }
                Iq1Split.sortedOrder(x, xb, BLOCK, idx);
                sumx[0] = sumw[0] = 0;
                for (int j = 0; j < BLOCK; j++) {
                    int i = idx[j];
                    sumx[j + 1] = sumx[j] + weight[i] * x[xb + i];
                    sumw[j + 1] = sumw[j] + weight[i];
                }
                float bestScore = -Float.MAX_VALUE;
                float scale = max;
                int besti1 = -1;
                int besti2 = -1;
                int bestShift = 0;
                for (int i1 = 0; i1 <= BLOCK; i1++) {
                    for (int i2 = i1; i2 <= BLOCK; i2++) {
                        for (int shift = 1; shift >= -1; shift -= 2) {
                            float[] xx = shift == 1 ? Iq1Split.X_P : Iq1Split.X_M;
                            float sumqx = (sumx[i1] - sumx[0]) * xx[0] + (sumx[i2] - sumx[i1]) * xx[1] + (sumx[BLOCK] - sumx[i2]) * xx[2];
                            float sumq2 = (sumw[i1] - sumw[0]) * xx[0] * xx[0] + (sumw[i2] - sumw[i1]) * xx[1] * xx[1]
                                    + (sumw[BLOCK] - sumw[i2]) * xx[2] * xx[2];
                            if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2) {
                                scale = sumqx / sumq2;
                                bestScore = scale * sumqx;
                                besti1 = i1;
                                besti2 = i2;
                                bestShift = shift;
                            }
                        }
                    }
                }
                if (besti1 < 0 || besti2 < 0 || bestShift == 0) {
                    scales[ib] = 0;
                    shifts[ib] = 1;
                    continue;
                }
                Iq1Split.ranksFromSplit(idx, BLOCK, besti1, besti2, L);
                if (scale < 0) {
                    for (int j = 0; j < BLOCK; j++) L[j] = (byte) (2 - L[j]);
                    scale = -scale;
                    bestShift = -bestShift;
                }
                float[] xx = bestShift == 1 ? Iq1Split.X_P : Iq1Split.X_M;
                offGrid[0] = false;
                for (int k = 0; k < BLOCK / 8; k++) index[k] = Iq1Split.index(grid, x, xb, weight, scale, xx, L, k, offGrid);
                if (offGrid[0]) {
                    float sumqx = 0;
                    float sumq2 = 0;
                    for (int k = 0; k < BLOCK / 8; k++) {
                        for (int j = 0; j < 8; j++) {
                            float w = weight[8 * k + j];
                            float q = xx[(grid.pos[8 * index[k] + j] - 1) / 2];
                            sumqx += w * q * x[xb + 8 * k + j];
                            sumq2 += w * q * q;
                        }
                    }
                    if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
                }
                int h = 0;
                for (int k = 0; k < BLOCK / 8; k++) {
                    out[o + 2 + (BLOCK / 8) * ib + k] = (byte) index[k];
                    h |= (index[k] >> 8) << (3 * k);
                }
                qh[ib] = h;
                scales[ib] = scale;
                shifts[ib] = bestShift;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) continue;
            float d = maxScale / 15;
            QuantMath.putHalf(out, o, d * 1.125f);
            float id = 1 / d;
            for (int ib = 0; ib < QK_K / BLOCK; ib++) {
                int l = Math.max(0, Math.min(7, nearestInt(0.5f * (id * scales[ib] - 1))));
                if (shifts[ib] == -1) l |= 8;
                QuantMath.putShort(out, o + 34 + 2 * ib, qh[ib] | (l << 12));
            }
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        IqGrid grid = IqGrid.Book.IQ1S.grid();
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            for (int ib = 0; ib < QK_K / BLOCK; ib++) {
                int qh = QuantMath.getShort(in, o + 34 + 2 * ib) & 0xffff;
                float dl = d * (2 * ((qh >> 12) & 7) + 1);
                float delta = (qh & 0x8000) != 0 ? -Iq1Split.DELTA : Iq1Split.DELTA;
                for (int l = 0; l < 4; l++) {
                    int g = (in[o + 2 + 4 * ib + l] & 0xff) | (((qh >> (3 * l)) & 7) << 8);
                    int yb = yOff + QK_K * b + BLOCK * ib + 8 * l;
                    for (int j = 0; j < 8; j++) y[yb + j] = dl * (grid.values[8 * g + j] + delta);
                }
            }
        }
    }
}
