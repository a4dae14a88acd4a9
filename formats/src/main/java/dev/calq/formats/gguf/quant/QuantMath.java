package dev.calq.formats.gguf.quant;

/**
 * Numeric building blocks shared by the codecs, written to reproduce ggml's float results bit for bit:
 * every sum is accumulated in float, in the same order as ggml-quants.c, and no operation is fused.
 */
final class QuantMath {
    /** Groups whose largest magnitude is below this count as all zero (ggml's GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantMath() {}

    /** Round half to even via the 1.5 * 2^23 trick, as ggml's nearest_int (valid for |v| < 2^22). */
    static int nearestInt(float v) {
        int bits = Float.floatToRawIntBits(v + 12582912f);
        return (bits & 0x007fffff) - 0x00400000;
    }

    /** C's roundf: half away from zero. The double sum is exact for every float below 2^52. */
    static int roundAway(float v) {
        int r = (int) (Math.abs((double) v) + 0.5);
        return v < 0 ? -r : r;
    }

    // ---- little-endian scalars in byte arrays

    static void putHalf(byte[] b, int off, float v) { putShort(b, off, Float.floatToFloat16(v)); }

    static float getHalf(byte[] b, int off) { return Float.float16ToFloat(getShort(b, off)); }

    /** Rounds through fp16 and back, as ggml does when it re-reads a scale it just stored. */
    static float roundToHalf(float v) { return Float.float16ToFloat(Float.floatToFloat16(v)); }

    static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    static short getShort(byte[] b, int off) { return (short) ((b[off] & 0xff) | (b[off + 1] << 8)); }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    /** fp32 to bf16, round to nearest even; NaNs are kept and made quiet (ggml_compute_fp32_to_bf16). */
    static short floatToBf16(float v) {
        int u = Float.floatToRawIntBits(v);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    static float bf16ToFloat(short h) { return Float.intBitsToFloat((h & 0xffff) << 16); }

    /** Per-element weights qw_i * sqrt(sigma2 + x_i^2) that llama.cpp derives from an importance vector. */
    static void importanceWeights(float[] qw, int qwOff, float[] x, int xOff, int n, float sigma2, float[] out) {
        for (int j = 0; j < n; j++) {
            float v = x[xOff + j];
            out[j] = qw[qwOff + j] * (float) Math.sqrt(sigma2 + v * v);
        }
    }

    /**
     * The first of n elements with the largest magnitude, or +0 when all are zero: ggml's scan that starts from
     * max = amax = 0 and replaces only on a strictly larger magnitude.
     */
    static float signedAbsMax(float[] x, int off, int n) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[off + i]);
            if (ax > amax) {
                amax = ax;
                max = x[off + i];
            }
        }
        return max;
    }

    /** Sequential float sum of squares, in ggml's order. */
    static float sumSquares(float[] x, int off, int n) {
        float s = 0;
        for (int j = 0; j < n; j++) s += x[off + j] * x[off + j];
        return s;
    }
}
