package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.GROUP_MAX_EPS;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * IQ2_XXS: super-blocks of 256 weights in 66 bytes: fp16 d, then per block of 32 two little-endian 32-bit words:
 * the first holds four 8-bit indices into the 256-point grid (one per 8 weights), the second four 7-bit sign
 * groups (bits 7k..7k+6) and a 4-bit scale s in bits 28..31; weight = d * (0.5 + s) / 4 * grid value * sign.
 * Needs importance weights (quantize_row_iq2_xxs_impl).
 */
final class IQ2_XXSCodec extends RowCodec {
    private static final int BYTES = 66;
    private static final int K_MAX_Q = 3;

    IQ2_XXSCodec() { super(GgmlType.IQ2_XXS); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        if (qw == null) throw new IllegalArgumentException("IQ2_XXS needs an importance matrix");
        IqGrid grid = IqGrid.Book.IQ2XXS.grid();
        float[] scales = new float[8];
        float[] weight = new float[32];
        float[] xval = new float[32];
        float[] waux = new float[32];
        byte[] L = new byte[32];
        byte[] Laux = new byte[32];
        int[] signs = new int[4];
        int[] q2 = new int[16];
        IqFit fit = new IqFit();
        for (int ibl = 0; ibl < ne0 / QK_K; ibl++) {
            int o = outOff + ibl * BYTES;
            java.util.Arrays.fill(q2, 0);
            float maxScale = 0;
            int xbl = xOff + QK_K * ibl;
            float sigma2 = QuantMath.sumSquares(x, xbl, QK_K) / QK_K;
            for (int ib = 0; ib < 8; ib++) {
                int xb = xbl + 32 * ib;
                QuantMath.importanceWeights(qw, QK_K * ibl + 32 * ib, x, xb, 32, sigma2, weight);
                float max = IqSigns.prepare(x, xb, 32, weight, waux, xval, signs);
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = ScaleSearch.makeQp(32, K_MAX_Q + 1, xval, L, weight);
                float effMax = scale * K_MAX_Q;
                if (effMax <= 0) {
                    scales[ib] = 0;
                    continue;
                }
                float best = 0;
                for (int is = -6; is <= 6; is++) {
                    float id = (2 * K_MAX_Q - 1 + is * 0.1f) / effMax;
                    float thisScale = 1 / id;
                    for (int k = 0; k < 4; k++) {
                        roundRanks(id, xval, 8 * k, Laux);
                        grid.onGridOrNeighbour(xval, 8 * k, waux, 8 * k, thisScale, Laux, 8 * k);
                    }
                    if (fit.of(weight, xval, Laux, 32).beats(best)) {
                        scale = fit.sumqx / fit.sumq2;
                        best = scale * fit.sumqx;
                        System.arraycopy(Laux, 0, L, 0, 32);
                    }
                }
                if (scale > 0) {
                    float id = 1 / scale;
                    for (int k = 0; k < 4; k++) {
                        roundRanks(id, xval, 8 * k, L);
                        int g = grid.onGridOrNeighbour(xval, 8 * k, waux, 8 * k, scale, L, 8 * k);
                        grid.ranks(g, L, 8 * k);
                    }
                    if (fit.of(weight, xval, L, 32).sumq2 > 0) scale = fit.sumqx / fit.sumq2;
                }
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 4; k++) signs[k] = ~signs[k] & 127;
                }
                for (int k = 0; k < 4; k++) {
                    int g = grid.index(grid.key(L, 8 * k));
                    if (g < 0) throw new IllegalStateException("IQ2_XXS: a block point is off the grid");
                    q2[2 * ib] |= g << (8 * k);
                    q2[2 * ib + 1] |= signs[k] << (7 * k);
                }
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) {
                java.util.Arrays.fill(out, o, o + BYTES, (byte) 0);
                continue;
            }
            float d = maxScale / 31;
            QuantMath.putHalf(out, o, d);
            float id = 1 / d;
            for (int ib = 0; ib < 8; ib++) {
                int l = Math.max(0, Math.min(15, nearestInt(0.5f * (id * scales[ib] - 1))));
                q2[2 * ib + 1] |= l << 28;
            }
            for (int i = 0; i < 16; i++) QuantMath.putInt(out, o + 2 + 4 * i, q2[i]);
        }
    }

    /** Ranks round(((x / scale) - 1) / 2) of 8 magnitudes, clamped to the 3 levels. */
    private static void roundRanks(float id, float[] xval, int xo, byte[] L) {
        for (int i = 0; i < 8; i++) {
            int l = nearestInt(0.5f * (id * xval[xo + i] - 1));
            L[xo + i] = (byte) Math.max(0, Math.min(K_MAX_Q - 1, l));
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        IqGrid grid = IqGrid.Book.IQ2XXS.grid();
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            for (int ib = 0; ib < 8; ib++) {
                int idx = QuantMath.getInt(in, o + 2 + 8 * ib);
                int aux = QuantMath.getInt(in, o + 6 + 8 * ib);
                float db = d * (0.5f + (aux >>> 28)) * 0.25f;
                for (int l = 0; l < 4; l++) {
                    int g = (idx >>> (8 * l)) & 0xff;
                    int signs = IqSigns.expand((aux >>> (7 * l)) & 127);
                    int yb = yOff + QK_K * b + 32 * ib + 8 * l;
                    for (int j = 0; j < 8; j++) y[yb + j] = db * (grid.values[8 * g + j] & 0xff) * IqSigns.sign(signs, j);
                }
            }
        }
    }
}
