package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.GROUP_MAX_EPS;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * IQ2_XS: super-blocks of 256 weights in 74 bytes: fp16 d, 32 little-endian 16-bit words (per 8 weights a 9-bit
 * index into the 512-point grid and 7 sign bits above it), then 8 bytes of 4-bit scales (block of 16 number 2j in
 * the low nibble of byte j, 2j+1 in the high); weight = d * (0.5 + s) / 4 * grid value * sign. Needs importance
 * weights (quantize_row_iq2_xs_impl).
 */
final class IQ2_XSCodec extends RowCodec {
    private static final int BYTES = 74;
    private static final int K_MAX_Q = 3;

    IQ2_XSCodec() { super(GgmlType.IQ2_XS); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        if (qw == null) throw new IllegalArgumentException("IQ2_XS needs an importance matrix");
        IqGrid grid = IqGrid.Book.IQ2XS.grid();
        float[] scales = new float[16];
        float[] weight = new float[16];
        float[] xval = new float[16];
        float[] waux = new float[16];
        byte[] L = new byte[16];
        int[] signs = new int[2];
        int[] q2 = new int[32];
        IqScan scan = new IqScan(grid, 16, K_MAX_Q);
        for (int ibl = 0; ibl < ne0 / QK_K; ibl++) {
            int o = outOff + ibl * BYTES;
            java.util.Arrays.fill(q2, 0);
            java.util.Arrays.fill(out, o, o + BYTES, (byte) 0);
            float maxScale = 0;
            int xbl = xOff + QK_K * ibl;
            float sigma2 = QuantMath.sumSquares(x, xbl, QK_K) / QK_K;
            for (int ib = 0; ib < 16; ib++) {
                int xb = xbl + 16 * ib;
                QuantMath.importanceWeights(qw, QK_K * ibl + 16 * ib, x, xb, 16, sigma2, weight);
                float max = IqSigns.prepare(x, xb, 16, weight, waux, xval, signs);
                java.util.Arrays.fill(L, (byte) 0);
                if (max < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = scan.scan(weight, xval, waux, max, 9, 0.1f, L);
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 2; k++) signs[k] = ~signs[k] & 127;
                }
                for (int k = 0; k < 2; k++) q2[2 * ib + k] = scan.index(L, 8 * k, GgmlType.IQ2_XS) | (signs[k] << 9);
                scales[ib] = scale;
                maxScale = Math.max(maxScale, scale);
            }
            if (maxScale == 0) continue;
            float d = maxScale / 31;
            QuantMath.putHalf(out, o, d);
            float id = 1 / d;
            for (int ib = 0; ib < 16; ib++) {
                int l = Math.max(0, Math.min(15, nearestInt(0.5f * (id * scales[ib] - 1))));
                out[o + 66 + ib / 2] |= (byte) (ib % 2 == 0 ? l : l << 4);
            }
            for (int i = 0; i < 32; i++) QuantMath.putShort(out, o + 2 + 2 * i, q2[i]);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        IqGrid grid = IqGrid.Book.IQ2XS.grid();
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            for (int ib = 0; ib < 8; ib++) {
                int sc = in[o + 66 + ib] & 0xff;
                float db0 = d * (0.5f + (sc & 0xf)) * 0.25f;
                float db1 = d * (0.5f + (sc >> 4)) * 0.25f;
                for (int l = 0; l < 4; l++) {
                    int q = QuantMath.getShort(in, o + 2 + 2 * (4 * ib + l)) & 0xffff;
                    int g = q & 511;
                    int signs = IqSigns.expand(q >> 9);
                    float db = l < 2 ? db0 : db1;
                    int yb = yOff + QK_K * b + 32 * ib + 8 * l;
                    for (int j = 0; j < 8; j++) y[yb + j] = db * (grid.values[8 * g + j] & 0xff) * IqSigns.sign(signs, j);
                }
            }
        }
    }
}
