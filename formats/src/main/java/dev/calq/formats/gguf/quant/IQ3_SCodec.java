package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * IQ3_S: super-blocks of 256 weights in 110 bytes: fp16 d; 64 bytes of low 8 bits of a 9-bit index into the
 * 512-point grid (one per 4 weights); 8 bytes qh (bit k of byte j: top index bit of point k of block j of 32);
 * 32 bytes of signs (all 8 bits stored, one byte per 8 weights); 4 bytes of 4-bit scales (block 2j in the low nibble
 * of byte j); weight = d * (1 + 2 s) * grid value * sign. The stored d carries ggml's fudge factor 1.033
 * (quantize_row_iq3_s_impl with blocks of 32).
 */
final class IQ3_SCodec extends RowCodec {
    private static final int BYTES = 110;
    private static final int K_MAX_Q = 8;

    IQ3_SCodec() { super(GgmlType.IQ3_S); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        IqGrid grid = IqGrid.Book.IQ3S.grid();
        float[] scales = new float[8];
        float[] weight = new float[32];
        float[] xval = new float[32];
        float[] waux = new float[32];
        byte[] L = new byte[32];
        int[] signs = new int[4];
        IqScan scan = new IqScan(grid, 32, K_MAX_Q, true);
        for (int ibl = 0; ibl < ne0 / QK_K; ibl++) {
            int o = outOff + ibl * BYTES;
            java.util.Arrays.fill(out, o, o + BYTES, (byte) 0);
            float maxScale = 0;
            int xbl = xOff + QK_K * ibl;
            float sigma2 = 2 * QuantMath.sumSquares(x, xbl, QK_K) / QK_K;
            for (int ib = 0; ib < 8; ib++) {
                int xb = xbl + 32 * ib;
                if (qw != null) QuantMath.importanceWeights(qw, QK_K * ibl + 32 * ib, x, xb, 32, sigma2, weight);
                else for (int i = 0; i < 32; i++) weight[i] = x[xb + i] * x[xb + i];
                float max = IqSigns.prepare(x, xb, 32, weight, waux, xval, signs, false);
                java.util.Arrays.fill(L, (byte) 0);
                if (max == 0) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = scan.scan(weight, xval, waux, max, 9, 0.2f, L);
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 4; k++) signs[k] = ~signs[k] & 255;
                }
                for (int k = 0; k < 8; k++) {
                    int g = scan.index(L, 4 * k, GgmlType.IQ3_S);
                    out[o + 2 + 8 * ib + k] = (byte) g;
                    out[o + 66 + ib] |= (byte) ((g >> 8) << k);
                }
                for (int k = 0; k < 4; k++) out[o + 74 + 4 * ib + k] = (byte) signs[k];
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) continue;
            float d = maxScale / 31;
            QuantMath.putHalf(out, o, d * 1.033f);
            float id = 1 / d;
            for (int ib = 0; ib < 8; ib += 2) {
                int l1 = Math.max(0, Math.min(15, nearestInt(0.5f * (id * scales[ib] - 1))));
                int l2 = Math.max(0, Math.min(15, nearestInt(0.5f * (id * scales[ib + 1] - 1))));
                out[o + 106 + ib / 2] = (byte) (l1 | (l2 << 4));
            }
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        IqGrid grid = IqGrid.Book.IQ3S.grid();
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            for (int ib = 0; ib < 8; ib++) {
                int sc = in[o + 106 + ib / 2] & 0xff;
                float db = d * (1 + 2 * (ib % 2 == 0 ? sc & 0xf : sc >> 4));
                int qh = in[o + 66 + ib] & 0xff;
                for (int l = 0; l < 4; l++) {
                    int g1 = (in[o + 2 + 8 * ib + 2 * l] & 0xff) | ((qh << (8 - 2 * l)) & 256);
                    int g2 = (in[o + 2 + 8 * ib + 2 * l + 1] & 0xff) | ((qh << (7 - 2 * l)) & 256);
                    int signs = in[o + 74 + 4 * ib + l] & 0xff;
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
