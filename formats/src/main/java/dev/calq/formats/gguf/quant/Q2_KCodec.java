package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * Q2_K: super-blocks of 256 weights in 84 bytes: 16 scale bytes (sub-block j of 16 weights: low nibble scale,
 * high nibble minimum), 64 bytes of 2-bit levels ({@link KLayout#pack2Bit}), fp16 d, fp16 dmin;
 * weight = d * scale_j * q - dmin * min_j.
 */
final class Q2_KCodec extends GridCodec {
    private static final int BYTES = 84;

    Q2_KCodec() { super(GgmlType.Q2_K, range(0, 3)); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        float d = QuantMath.getHalf(in, o + 80);
        float min = QuantMath.getHalf(in, o + 82);
        for (int j = 0; j < 16; j++) {
            int sc = in[o + j] & 0xff;
            java.util.Arrays.fill(step, 16 * j, 16 * j + 16, d * (sc & 0xf));
            java.util.Arrays.fill(offset, 16 * j, 16 * j + 16, -(min * (sc >> 4)));
        }
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { KLayout.pack2Bit(levels, out, o + 16); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        byte[] L = new byte[QK_K];
        float[] weights = new float[16];
        float[] mins = new float[16];
        float[] scales = new float[16];
        float[] sw = new float[16];
        byte[] ls = new byte[16];
        byte[] lm = new byte[16];
        for (int i = 0; i < ne0 / QK_K; i++) {
            int xb = xOff + i * QK_K;
            int o = outOff + i * BYTES;
            float dm;
            float mm;
            if (qw == null) {
                // llama.cpp's reference: absolute-error search per sub-block, then linear 4-bit scale coding.
                float maxScale = 0;
                float maxMin = 0;
                for (int j = 0; j < 16; j++) {
                    for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[xb + 16 * j + l]);
                    scales[j] = VectorSearch.local().makeQkx(16, 3, x, xb + 16 * j, weights, L, 16 * j, mins, j, -0.5f, 0.1f, 15, true);
                    if (scales[j] > maxScale) maxScale = scales[j];
                    if (mins[j] > maxMin) maxMin = mins[j];
                }
                for (int j = 0; j < 16; j++) out[o + j] = 0;
                if (maxScale > 0) {
                    float iscale = 15.f / maxScale;
                    for (int j = 0; j < 16; j++) out[o + j] = (byte) nearestInt(iscale * scales[j]);
                    QuantMath.putHalf(out, o + 80, maxScale / 15.f);
                } else {
                    QuantMath.putHalf(out, o + 80, 0.f);
                }
                if (maxMin > 0) {
                    float iscale = 15.f / maxMin;
                    for (int j = 0; j < 16; j++) out[o + j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                    QuantMath.putHalf(out, o + 82, maxMin / 15.f);
                } else {
                    QuantMath.putHalf(out, o + 82, 0.f);
                }
                dm = QuantMath.getHalf(out, o + 80);
                mm = QuantMath.getHalf(out, o + 82);
            } else {
                float sigma2 = QuantMath.sumSquares(x, xb, QK_K) / QK_K;
                for (int j = 0; j < 16; j++) {
                    QuantMath.importanceWeights(qw, i * QK_K + 16 * j, x, xb + 16 * j, 16, sigma2, weights);
                    float s = 0;
                    for (int l = 0; l < 16; l++) s += weights[l];
                    sw[j] = s;
                    scales[j] = VectorSearch.local().makeQkx(16, 3, x, xb + 16 * j, weights, L, 16 * j, mins, j, -0.9f, 0.05f, 36, false);
                }
                dm = ScaleSearch.makeQp(16, 15, scales, ls, sw);
                mm = ScaleSearch.makeQp(16, 15, mins, lm, sw);
                QuantMath.putHalf(out, o + 80, dm);
                QuantMath.putHalf(out, o + 82, mm);
                dm = QuantMath.getHalf(out, o + 80);
                mm = QuantMath.getHalf(out, o + 82);
                for (int j = 0; j < 16; j++) out[o + j] = (byte) (ls[j] | (lm[j] << 4));
            }
            // Re-round every weight against the scales as they will be decoded.
            for (int j = 0; j < 16; j++) {
                int sc = out[o + j] & 0xff;
                float d = dm * (sc & 0xf);
                if (d == 0) continue;
                float m = mm * (sc >> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt((x[xb + 16 * j + ii] + m) / d);
                    L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            KLayout.pack2Bit(L, out, o + 16);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int i = 0; i < ne0 / QK_K; i++) {
            int o = inOff + i * BYTES;
            float d = QuantMath.getHalf(in, o + 80);
            float min = QuantMath.getHalf(in, o + 82);
            for (int j = 0; j < 16; j++) {
                int sc = in[o + j] & 0xff;
                float dl = d * (sc & 0xf);
                float ml = min * (sc >> 4);
                for (int l = 0; l < 16; l++) {
                    int k = 16 * j + l;
                    y[yOff + i * QK_K + k] = dl * KLayout.get2Bit(in, o + 16, k) - ml;
                }
            }
        }
    }
}
