package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * The common front of Q4_K and Q5_K: a super-block of 256 weights in eight sub-blocks of 32, each with a scale
 * and a minimum coded in 6 bits against fp16 super-scales d and dmin (weight = d * sc * q - dmin * m). Writes
 * d, dmin and the 12-byte scale table at {@code o} and leaves the final levels (0..nmax) in L.
 */
final class ScaleMinBlock {
    private final float[] weights = new float[32];
    private final float[] mins = new float[8];
    private final float[] scales = new float[8];
    private final float[] sw = new float[8];
    private final byte[] ls = new byte[8];
    private final byte[] lm = new byte[8];

    /**
     * Without importance (qw == null) this is llama.cpp's reference: weights av_x + |x| and make_qkx2_quants with
     * (refRmin, 0.1, refSteps), linear 6-bit coding of scales and mins. With importance: weights
     * qw * sqrt(sigma^2 + x^2), make_qkx3_quants (-0.9, 0.05, 36), and make_qp_quants for the 6-bit codes.
     */
    void quantize(float[] x, int xb, float[] qw, int qwo, int nmax, float refRmin, int refSteps, byte[] L, byte[] out, int o) {
        if (qw == null) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sumX2 = QuantMath.sumSquares(x, xb + 32 * j, 32);
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xb + 32 * j + l]);
                scales[j] = VectorSearch.local().makeQkx(32, nmax, x, xb + 32 * j, weights, L, 32 * j, mins, j, refRmin, 0.1f, refSteps, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            for (int j = 0; j < 8; j++) {
                ls[j] = (byte) Math.min(63, nearestInt(invScale * scales[j]) & 0xff);
                lm[j] = (byte) Math.min(63, nearestInt(invMin * mins[j]) & 0xff);
            }
            QuantMath.putHalf(out, o, maxScale / 63.f);
            QuantMath.putHalf(out, o + 2, maxMin / 63.f);
        } else {
            float sigma2 = 2 * QuantMath.sumSquares(x, xb, QK_K) / QK_K;
            for (int j = 0; j < 8; j++) {
                QuantMath.importanceWeights(qw, qwo + 32 * j, x, xb + 32 * j, 32, sigma2, weights);
                float s = 0;
                for (int l = 0; l < 32; l++) s += weights[l];
                sw[j] = s;
                scales[j] = VectorSearch.local().makeQkx(32, nmax, x, xb + 32 * j, weights, L, 32 * j, mins, j, -0.9f, 0.05f, 36, false);
            }
            float dBlock = ScaleSearch.makeQp(8, 63, scales, ls, sw);
            float mBlock = ScaleSearch.makeQp(8, 63, mins, lm, sw);
            QuantMath.putHalf(out, o, dBlock);
            QuantMath.putHalf(out, o + 2, mBlock);
        }
        for (int k = 0; k < 12; k++) out[o + 4 + k] = 0;
        KLayout.packScaleMin6(ls, lm, out, o + 4);
        float dAll = QuantMath.getHalf(out, o);
        float mAll = QuantMath.getHalf(out, o + 2);
        for (int j = 0; j < 8; j++) {
            float d = dAll * KLayout.scale6(out, o + 4, j);
            if (d == 0) continue;
            float dm = mAll * KLayout.min6(out, o + 4, j);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[xb + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }

    /** The per-element grid of the block at {@code o}: element i of sub-block j is dl_j * q - ml_j. */
    static void grid(byte[] in, int o, float[] step, float[] offset) {
        float d = QuantMath.getHalf(in, o);
        float min = QuantMath.getHalf(in, o + 2);
        for (int j = 0; j < 8; j++) {
            java.util.Arrays.fill(step, 32 * j, 32 * j + 32, d * KLayout.scale6(in, o + 4, j));
            java.util.Arrays.fill(offset, 32 * j, 32 * j + 32, -(min * KLayout.min6(in, o + 4, j)));
        }
    }

    /** Decodes the eight (d * scale, dmin * min) pairs of the block header at {@code o}. */
    static void decodeScales(byte[] in, int o, float[] dl, float[] ml) {
        float d = QuantMath.getHalf(in, o);
        float min = QuantMath.getHalf(in, o + 2);
        for (int j = 0; j < 8; j++) {
            dl[j] = d * KLayout.scale6(in, o + 4, j);
            ml[j] = min * KLayout.min6(in, o + 4, j);
        }
    }
}
