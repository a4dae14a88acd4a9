package dev.calq.gptq;

import dev.calq.calibration.kernels.MatMul;

/**
 * How much a quantized weight changes a layer's output on the calibration data, from the Hessian alone:
 * ||W X - Q X||^2 / ||W X||^2 = tr((W-Q) H (W-Q)^T) / tr(W H W^T), since H is proportional to X^T X. Costs two
 * float32 products with H instead of a pass over the activations.
 */
public final class OutputError {
    private OutputError() {}

    /** The relative output error of {@code q} against {@code w} (both [out x in]) under {@code h} [in x in]. */
    public static double relativeOutputError(float[] w, float[] q, int out, int in, double[] h) {
        float[] hf = new float[in * in];
        for (int i = 0; i < hf.length; i++) hf[i] = (float) h[i];
        float[] d = new float[out * in];
        for (int i = 0; i < d.length; i++) d[i] = w[i] - q[i];
        double num = quadratic(d, out, in, hf);
        double den = quadratic(w, out, in, hf);
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : num / den;
    }

    /** tr((W-Q) H (W-Q)^T) with H given as float32 [in x in]: the unnormalised output error the size targets add up. */
    public static double absoluteOutputError(float[] w, float[] q, int out, int in, float[] h) {
        float[] d = new float[out * in];
        for (int i = 0; i < d.length; i++) d[i] = w[i] - q[i];
        return quadratic(d, out, in, h);
    }

    /** sum over rows r of a_r^T H a_r = tr(A H A^T). */
    private static double quadratic(float[] a, int out, int in, float[] h) {
        float[] ah = new float[out * in];
        MatMul.mul(a, 0, in, h, 0, in, ah, 0, in, out, in, in, false);
        double s = 0;
        for (int i = 0; i < ah.length; i++) s += (double) ah[i] * a[i];
        return s;
    }
}
