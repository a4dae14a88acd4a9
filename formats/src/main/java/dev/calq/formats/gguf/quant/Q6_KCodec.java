package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.GROUP_MAX_EPS;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * Q6_K: super-blocks of 256 weights in 210 bytes: 128 bytes ql of low nibbles, 64 bytes qh of top 2-bit pairs,
 * 16 signed 8-bit scales (one per 16 weights), fp16 d; weight = d * scale_j * (q - 32). Per half of 128
 * weights: ql byte l holds weights l (low) and l+64 (high), ql byte 32+l weights l+32 and l+96; qh byte l holds
 * the top bits of weights l, l+32, l+64, l+96 at bit positions 0, 2, 4, 6.
 * Importance weights enter make_qx_quants directly (llama.cpp does not use the sigma term for this type).
 */
final class Q6_KCodec extends GridCodec {
    private static final int BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    Q6_KCodec() { super(GgmlType.Q6_K, range(-32, 31)); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        float d = QuantMath.getHalf(in, o + D);
        for (int j = 0; j < 16; j++) java.util.Arrays.fill(step, 16 * j, 16 * j + 16, d * in[o + SCALES + j]);
        java.util.Arrays.fill(offset, 0, QK_K, 0f);
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { pack(levels, out, o); }

    private static void pack(byte[] L, byte[] out, int o) {
        for (int j = 0; j < QK_K; j += 128) {
            int ql = o + j / 2;
            int qh = o + QH + j / 4;
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l];
                int q2 = L[j + l + 32];
                int q3 = L[j + l + 64];
                int q4 = L[j + l + 96];
                out[ql + l] = (byte) ((q1 & 0xf) | ((q3 & 0xf) << 4));
                out[ql + l + 32] = (byte) ((q2 & 0xf) | ((q4 & 0xf) << 4));
                out[qh + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        for (int i = 0; i < ne0 / QK_K; i++) {
            int xb = xOff + i * QK_K;
            int o = outOff + i * BYTES;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = VectorSearch.local().makeQx(16, 32, x, xb + 16 * ib, L, 16 * ib, 1, qw, i * QK_K + 16 * ib);
                scales[ib] = scale;
                float a = Math.abs(scale);
                if (a > maxAbsScale) {
                    maxAbsScale = a;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                for (int k = 0; k < BYTES; k++) out[o + k] = 0;
                continue;
            }
            float iscale = -128.f / maxScale;
            QuantMath.putHalf(out, o + D, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) out[o + SCALES + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            float dAll = QuantMath.getHalf(out, o + D);
            for (int j = 0; j < 16; j++) {
                float d = dAll * out[o + SCALES + j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            pack(L, out, o);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0 / QK_K; i++) {
            int o = inOff + i * BYTES;
            float d = QuantMath.getHalf(in, o + D);
            for (int n = 0; n < QK_K; n += 128) {
                int ql = o + n / 2;
                int qh = o + QH + n / 4;
                int sc = o + SCALES + n / 16;
                int yb = yOff + i * QK_K + n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int lo = in[ql + l] & 0xff;
                    int lo2 = in[ql + l + 32] & 0xff;
                    int h = in[qh + l] & 0xff;
                    y[yb + l] = d * in[sc + is] * ((lo & 0xf) + ((h & 3) << 4) - 32);
                    y[yb + l + 32] = d * in[sc + is + 2] * ((lo2 & 0xf) + (((h >> 2) & 3) << 4) - 32);
                    y[yb + l + 64] = d * in[sc + is + 4] * ((lo >> 4) + (((h >> 4) & 3) << 4) - 32);
                    y[yb + l + 96] = d * in[sc + is + 6] * ((lo2 >> 4) + (((h >> 6) & 3) << 4) - 32);
                }
            }
        }
    }
}
