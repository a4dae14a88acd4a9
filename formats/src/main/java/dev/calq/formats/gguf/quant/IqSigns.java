package dev.calq.formats.gguf.quant;

/**
 * The sign coding of IQ2_XXS, IQ2_XS and IQ3_XXS: each group of 8 weights stores 7 sign bits and the eighth is
 * implied by even parity, so the quantizer works on magnitudes and, when a group has an odd number of negative
 * weights, gives up the sign of its least important weight (smallest w x^2).
 */
final class IqSigns {
    private IqSigns() {}

    /**
     * Writes |x| of 8 weights to {@code xval} (the least important one negated back when the negatives are odd in
     * number) and returns the 7 stored sign bits (bit i set: weight i negative).
     */
    static int signs8(float[] x, int xo, float[] weight, int wo, float[] xval, int vo) {
        return signs8(x, xo, weight, wo, xval, vo, true);
    }

    /** As {@link #signs8(float[], int, float[], int, float[], int)}; without parity all 8 sign bits are kept. */
    static int signs8(float[] x, int xo, float[] weight, int wo, float[] xval, int vo, boolean parity) {
        int nflip = 0;
        int s = 0;
        for (int i = 0; i < 8; i++) {
            float v = x[xo + i];
            if (v >= 0) {
                xval[vo + i] = v;
            } else {
                xval[vo + i] = -v;
                nflip++;
                s |= 1 << i;
            }
        }
        if (!parity) return s;
        if (nflip % 2 != 0) {
            int imin = 0;
            float min = weight[wo] * x[xo] * x[xo];
            for (int i = 1; i < 8; i++) {
                float ax = weight[wo + i] * x[xo + i] * x[xo + i];
                if (ax < min) {
                    min = ax;
                    imin = i;
                }
            }
            xval[vo + imin] = -xval[vo + imin];
            s ^= 1 << imin;
        }
        return s & 127;
    }

    /** The 8 signs (bit i: negative) of 7 stored bits: the eighth restores even parity (ksigns_iq2xs). */
    static int expand(int seven) {
        return seven | ((Integer.bitCount(seven) & 1) << 7);
    }

    /** +1 or -1 for bit j of an 8-bit sign mask. */
    static float sign(int signs, int j) {
        return (signs & (1 << j)) != 0 ? -1.f : 1.f;
    }

    /**
     * Prepares a block of {@code n} weights (a multiple of 8) for a codebook search: magnitudes with the parity
     * flip into {@code xval}, the 7-bit sign groups into {@code signs}, sqrt of the weights into {@code waux};
     * returns the largest magnitude.
     */
    static float prepare(float[] x, int xb, int n, float[] weight, float[] waux, float[] xval, int[] signs) {
        return prepare(x, xb, n, weight, waux, xval, signs, true);
    }

    /** As {@link #prepare(float[], int, int, float[], float[], float[], int[])}, optionally keeping all 8 signs. */
    static float prepare(float[] x, int xb, int n, float[] weight, float[] waux, float[] xval, int[] signs, boolean parity) {
        for (int i = 0; i < n; i++) waux[i] = (float) Math.sqrt(weight[i]);
        for (int k = 0; k < n / 8; k++) signs[k] = signs8(x, xb + 8 * k, weight, 8 * k, xval, 8 * k, parity);
        float max = xval[0];
        for (int i = 1; i < n; i++) max = Math.max(max, xval[i]);
        return max;
    }
}
