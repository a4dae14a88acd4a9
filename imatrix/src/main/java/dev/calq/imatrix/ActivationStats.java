package dev.calq.imatrix;

import dev.calq.formats.Parallel;

/**
 * Per-channel statistics of one projection input: the sum of squares (llama.cpp's importance), the plain sum (which
 * current llama-imatrix also stores) and the number of token rows seen. Accumulated in double so that 10^5 tokens of
 * float32 activations lose nothing.
 */
public final class ActivationStats {
    private final double[] sumSq;
    private final double[] sum;
    private long count;

    public ActivationStats(int dim) {
        sumSq = new double[dim];
        sum = new double[dim];
    }

    /** Statistics saved earlier (a resumed run). */
    public static ActivationStats restore(double[] sumSq, double[] sum, long count) {
        if (sumSq.length != sum.length) throw new IllegalArgumentException("sumSq and sum differ in length");
        ActivationStats s = new ActivationStats(sumSq.length);
        System.arraycopy(sumSq, 0, s.sumSq, 0, sumSq.length);
        System.arraycopy(sum, 0, s.sum, 0, sum.length);
        s.count = count;
        return s;
    }

    /**
     * Adds the rows of x [tokens x dim]. Channels are split over the cores (a pass of 2048 tokens brings 30 M values
     * a layer on a 1B model); each channel still adds its rows in order, so the sums do not depend on the split.
     */
    public void add(float[] x, int tokens, int dim) {
        if (dim != sumSq.length) throw new IllegalArgumentException("dimension " + dim + " != " + sumSq.length);
        Parallel.forRange(dim, 512, (from, to) -> {
            for (int t = 0; t < tokens; t++) {
                int base = t * dim;
                for (int i = from; i < to; i++) {
                    double v = x[base + i];
                    sumSq[i] += v * v;
                    sum[i] += v;
                }
            }
        });
        count += tokens;
    }

    public int dim() { return sumSq.length; }

    public long count() { return count; }

    public double[] sumSq() { return sumSq.clone(); }

    public double[] sum() { return sum.clone(); }

    /** Mean of squares per channel: the weights llama-quantize derives from in_sum2 / counts. */
    public float[] meanSquares() {
        float[] m = new float[sumSq.length];
        for (int i = 0; i < m.length; i++) m[i] = count == 0 ? 0f : (float) (sumSq[i] / count);
        return m;
    }
}
