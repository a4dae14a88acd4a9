package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * IQ3_XXS: super-blocks of 256 weights in 98 bytes: fp16 d, 64 bytes of indices into the 256-point grid (one per 4
 * weights), then per block of 32 a little-endian 32-bit word: four 7-bit sign groups (bits 7k..7k+6, one per 8
 * weights) and a 4-bit scale s in bits 28..31; weight = d * (0.5 + s) / 2 * grid value * sign. The stored d
 * carries ggml's fudge factor 1.0125 (quantize_row_iq3_xxs_impl with grid size 256).
 */
final class IQ3_XXSCodec extends RowCodec {
    private static final int BYTES = 98;
    private static final int K_MAX_Q = 8;
    private static final float GROUP_MAX_EPS = 1e-8f;

    IQ3_XXSCodec() { super(GgmlType.IQ3_XXS); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        IqGrid grid = IqGrid.Book.IQ3XXS.grid();
        float[] scales = new float[8];
        float[] weight = new float[32];
        float[] xval = new float[32];
        float[] waux = new float[32];
        byte[] L = new byte[32];
        byte[] Laux = new byte[32];
        boolean[] onGrid = new boolean[8];
        boolean[] onGridAux = new boolean[8];
        int[] signs = new int[4];
        byte[] q3 = new byte[64];
        int[] scalesAndSigns = new int[8];
        IqFit fit = new IqFit();
        for (int ibl = 0; ibl < ne0 / QK_K; ibl++) {
            int o = outOff + ibl * BYTES;
            java.util.Arrays.fill(q3, (byte) 0);
            java.util.Arrays.fill(scalesAndSigns, 0);
            float maxScale = 0;
            int xbl = xOff + QK_K * ibl;
            float sigma2 = 2 * QuantMath.sumSquares(x, xbl, QK_K) / QK_K;
            for (int ib = 0; ib < 8; ib++) {
                int xb = xbl + 32 * ib;
                if (qw != null) QuantMath.importanceWeights(qw, QK_K * ibl + 32 * ib, x, xb, 32, sigma2, weight);
                else for (int i = 0; i < 32; i++) weight[i] = x[xb + i] * x[xb + i];
                for (int i = 0; i < 32; i++) waux[i] = (float) Math.sqrt(weight[i]);
                for (int k = 0; k < 4; k++) signs[k] = IqSigns.signs8(x, xb + 8 * k, weight, 8 * k, xval, 8 * k);
                float max = xval[0];
                for (int i = 1; i < 32; i++) max = Math.max(max, xval[i]);
                java.util.Arrays.fill(L, (byte) 0);
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float best = 0;
                float scale = max / (2 * K_MAX_Q - 1);
                java.util.Arrays.fill(onGrid, true);
                for (int is = -15; is <= 15; is++) {
                    float id = (2 * K_MAX_Q - 1 + is * 0.2f) / max;
                    float thisScale = 1 / id;
                    for (int k = 0; k < 8; k++) {
                        roundRanks(id, xval, 4 * k, Laux);
                        int key = grid.key(Laux, 4 * k);
                        onGridAux[k] = grid.index(key) >= 0;
                        if (!onGridAux[k]) grid.bestNeighbour(key, xval, 4 * k, waux, 4 * k, thisScale, Laux, 4 * k);
                    }
                    if (fit.of(weight, xval, Laux, 32).beats(best)) {
                        scale = fit.sumqx / fit.sumq2;
                        best = scale * fit.sumqx;
                        System.arraycopy(Laux, 0, L, 0, 32);
                        System.arraycopy(onGridAux, 0, onGrid, 0, 8);
                    }
                }
                boolean allOnGrid = true;
                for (boolean g : onGrid) allOnGrid &= g;
                if (!allOnGrid && scale > 0) {
                    float id = 1 / scale;
                    for (int k = 0; k < 8; k++) {
                        if (onGrid[k]) continue;
                        roundRanks(id, xval, 4 * k, L);
                        int g = grid.onGridOrNeighbour(xval, 4 * k, waux, 4 * k, scale, L, 4 * k);
                        grid.ranks(g, L, 4 * k);
                    }
                    if (fit.of(weight, xval, L, 32).sumq2 > 0) scale = fit.sumqx / fit.sumq2;
                }
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 4; k++) signs[k] = ~signs[k] & 127;
                }
                for (int k = 0; k < 8; k++) {
                    int g = grid.index(grid.key(L, 4 * k));
                    if (g < 0) throw new IllegalStateException("IQ3_XXS: a block point is off the grid");
                    q3[8 * ib + k] = (byte) g;
                }
                scalesAndSigns[ib] = signs[0] | (signs[1] << 7) | (signs[2] << 14) | (signs[3] << 21);
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) {
                java.util.Arrays.fill(out, o, o + BYTES, (byte) 0);
                continue;
            }
            float d = maxScale / 31;
            QuantMath.putHalf(out, o, d * 1.0125f);
            float id = 1 / d;
            for (int ib = 0; ib < 8; ib++) {
                int l = Math.max(0, Math.min(15, nearestInt(0.5f * (id * scales[ib] - 1))));
                scalesAndSigns[ib] |= l << 28;
            }
            System.arraycopy(q3, 0, out, o + 2, 64);
            for (int ib = 0; ib < 8; ib++) QuantMath.putInt(out, o + 66 + 4 * ib, scalesAndSigns[ib]);
        }
    }

    /** Ranks round(((x / scale) - 1) / 2) of 4 magnitudes, clamped to the 8 levels. */
    private static void roundRanks(float id, float[] xval, int xo, byte[] L) {
        for (int i = 0; i < 4; i++) {
            int l = nearestInt(0.5f * (id * xval[xo + i] - 1));
            L[xo + i] = (byte) Math.max(0, Math.min(K_MAX_Q - 1, l));
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        IqGrid grid = IqGrid.Book.IQ3XXS.grid();
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            for (int ib = 0; ib < 8; ib++) {
                int aux = QuantMath.getInt(in, o + 66 + 4 * ib);
                float db = d * (0.5f + (aux >>> 28)) * 0.5f;
                for (int l = 0; l < 4; l++) {
                    int signs = IqSigns.expand((aux >>> (7 * l)) & 127);
                    int g1 = in[o + 2 + 8 * ib + 2 * l] & 0xff;
                    int g2 = in[o + 2 + 8 * ib + 2 * l + 1] & 0xff;
                    int yb = yOff + QK_K * b + 32 * ib + 8 * l;
                    for (int j = 0; j < 4; j++) {
                        y[yb + j] = db * (grid.values[4 * g1 + j] & 0xff) * IqSigns.sign(signs, j);
                        y[yb + j + 4] = db * (grid.values[4 * g2 + j] & 0xff) * IqSigns.sign(signs, j + 4);
                    }
                }
            }
        }
    }
}
