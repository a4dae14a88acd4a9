package dev.calq.formats.gguf.quant;

/**
 * The weighted least-squares sums of the codebook searches: for ranks L (value 2L+1) against magnitudes x,
 * sumqx = sum w x q and sumq2 = sum w q^2, accumulated in float in ggml's order. One instance per row being encoded.
 */
final class IqFit {
    float sumqx;
    float sumq2;

    /** Computes both sums over {@code n} elements starting at 0 of each array. */
    IqFit of(float[] weight, float[] xval, byte[] L, int n) {
        float qx = 0;
        float q2 = 0;
        for (int i = 0; i < n; i++) {
            float w = weight[i];
            float q = 2 * L[i] + 1;
            qx += w * xval[i] * q;
            q2 += w * q * q;
        }
        sumqx = qx;
        sumq2 = q2;
        return this;
    }

    /** Whether this fit beats the best so far (sumqx^2 / sumq2 > best), as the scale scans compare. */
    boolean beats(float best) { return sumq2 > 0 && sumqx * sumqx > best * sumq2; }
}
