package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * IQ2_S: super-blocks of 256 weights in 82 bytes: fp16 d; 32 bytes of low 8 bits of a 10-bit index into the
 * 1024-point grid (one per 8 weights); 32 bytes of signs (all 8 bits stored); 8 bytes qh holding the top 2 index bits
 * (group g at bits 2(g%4) of byte g/4); 8 bytes of 4-bit scales as IQ2_XS; weight = d * (0.5 + s) / 4 * grid value
 * * sign. The stored d carries ggml's fudge factor 0.9875 (quantize_row_iq2_s_impl).
 */
final class IQ2_SCodec extends RowCodec {
    private static final int BYTES = 82;
    private static final int K_MAX_Q = 3;
    private static final float GROUP_MAX_EPS = 1e-8f;

    IQ2_SCodec() { super(GgmlType.IQ2_S); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        IqGrid grid = IqGrid.Book.IQ2S.grid();
        float[] scales = new float[16];
        float[] weight = new float[16];
        float[] xval = new float[16];
        float[] waux = new float[16];
        byte[] L = new byte[16];
        int[] signs = new int[2];
        IqScan scan = new IqScan(grid, 16, K_MAX_Q);
        for (int ibl = 0; ibl < ne0 / QK_K; ibl++) {
            int o = outOff + ibl * BYTES;
            java.util.Arrays.fill(out, o, o + BYTES, (byte) 0);
            float maxScale = 0;
            int xbl = xOff + QK_K * ibl;
            float sigma2 = 2 * QuantMath.sumSquares(x, xbl, QK_K) / QK_K;
            for (int ib = 0; ib < 16; ib++) {
                int xb = xbl + 16 * ib;
                if (qw != null) QuantMath.importanceWeights(qw, QK_K * ibl + 16 * ib, x, xb, 16, sigma2, weight);
                else for (int i = 0; i < 16; i++) weight[i] = 0.25f * sigma2 + x[xb + i] * x[xb + i];
                float max = IqSigns.prepare(x, xb, 16, weight, waux, xval, signs, false);
                java.util.Arrays.fill(L, (byte) 0);
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = scan.scan(weight, xval, waux, max, 9, 0.1f, L);
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 2; k++) signs[k] = ~signs[k] & 255;
                }
                for (int k = 0; k < 2; k++) {
                    int g = scan.index(L, 8 * k, GgmlType.IQ2_S);
                    int i8 = 2 * ib + k;
                    out[o + 2 + i8] = (byte) g;
                    out[o + 66 + i8 / 4] |= (byte) ((g >> 8) << (2 * (i8 % 4)));
                    out[o + 2 + 32 + i8] = (byte) signs[k];
                }
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) continue;
            float d = maxScale / 31;
            QuantMath.putHalf(out, o, d * 0.9875f);
            float id = 1 / d;
            for (int ib = 0; ib < 16; ib++) {
                int l = Math.max(0, Math.min(15, nearestInt(0.5f * (id * scales[ib] - 1))));
                out[o + 74 + ib / 2] |= (byte) (ib % 2 == 0 ? l : l << 4);
            }
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        IqGrid grid = IqGrid.Book.IQ2S.grid();
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            for (int ib = 0; ib < 8; ib++) {
                int sc = in[o + 74 + ib] & 0xff;
                float db0 = d * (0.5f + (sc & 0xf)) * 0.25f;
                float db1 = d * (0.5f + (sc >> 4)) * 0.25f;
                int qh = in[o + 66 + ib] & 0xff;
                for (int l = 0; l < 4; l++) {
                    int g = (in[o + 2 + 4 * ib + l] & 0xff) | ((qh << (8 - 2 * l)) & 0x300);
                    int signs = in[o + 34 + 4 * ib + l] & 0xff;
                    float db = l < 2 ? db0 : db1;
                    int yb = yOff + QK_K * b + 32 * ib + 8 * l;
                    for (int j = 0; j < 8; j++) y[yb + j] = db * (grid.values[8 * g + j] & 0xff) * IqSigns.sign(signs, j);
                }
            }
        }
    }
}
