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
        int[] signs = new int[4];
        byte[] q3 = new byte[64];
        int[] scalesAndSigns = new int[8];
        IqScan scan = new IqScan(grid, 32, K_MAX_Q);
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
                float max = IqSigns.prepare(x, xb, 32, weight, waux, xval, signs);
                java.util.Arrays.fill(L, (byte) 0);
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = scan.scan(weight, xval, waux, max, 15, 0.2f, L);
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 4; k++) signs[k] = ~signs[k] & 127;
                }
                for (int k = 0; k < 8; k++) {
                    q3[8 * ib + k] = (byte) scan.index(L, 4 * k, GgmlType.IQ3_XXS);
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
