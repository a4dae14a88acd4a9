package dev.calq.gptq;

import dev.calq.formats.CalqException;

/**
 * GPTQ's Hessian of one linear input: H = 2/N * sum over all N calibration tokens of x x^T.
 *
 * <p>The reference keeps a running average (H *= n/(n+k); H += 2/(n+k) X^T X). We keep the plain float64 sum
 * X^T X and the token count and divide once at the end: the same matrix, without rescaling the whole H per sample
 * and without the rounding of repeated rescales. Normalising by tokens (as GPTQModel does) rather than by sequences
 * (as IST-DASLab's gptq.py does) only changes H by a constant factor, which GPTQ's result does not depend on.
 *
 * <p>Not thread-safe for concurrent {@link #add}s on the same instance (the observer serialises them).
 */
public final class HessianAccumulator {
    private final String name;
    private final int dim;
    private final double[] sum; // upper triangle valid
    private long tokens;
    private float[] padded = new float[0];
    private float[] packed = new float[0];

    /** @param name what the messages call this input, e.g. "layer 3 ATTN_IN" */
    public HessianAccumulator(String name, int dim) {
        if (dim <= 0) throw new IllegalArgumentException("dim " + dim);
        this.name = name;
        this.dim = dim;
        this.sum = new double[dim * dim];
    }

    public int dim() { return dim; }

    public long tokens() { return tokens; }

    public String name() { return name; }

    /** Adds {@code rows} rows of {@code dim} floats from {@code x}; rejects NaN and infinite activations. */
    public void add(float[] x, int rows, int xDim) {
        if (xDim != dim)
            throw new CalqException(name + ": activation width " + xDim + " does not match the Hessian's " + dim);
        if (rows <= 0) return;
        int pd = GramKernel.paddedDim(dim);
        // Padding columns are never written, so they stay zero across calls.
        if (padded.length < rows * pd) padded = new float[rows * pd];
        for (int t = 0; t < rows; t++) {
            int src = t * dim;
            for (int c = 0; c < dim; c++) {
                float v = x[src + c];
                if (!Float.isFinite(v))
                    throw new CalqException(name + ": non-finite activation " + v + " at token " + t + ", channel " + c
                            + " (after " + tokens + " calibration tokens); the model or the calibration input is broken");
                padded[t * pd + c] = v;
            }
        }
        if (packed.length < GramKernel.packedSize(rows, dim)) packed = new float[GramKernel.packedSize(rows, dim)];
        GramKernel.accumulateUpper(padded, rows, dim, packed, sum);
        tokens += rows;
    }

    /** The Hessian 2/N X^T X as a full symmetric row-major [dim x dim] array (a fresh copy). */
    public double[] hessian() {
        if (tokens == 0) throw new CalqException(name + ": no calibration tokens reached this layer; cannot build its Hessian");
        double f = 2.0 / tokens;
        double[] h = new double[dim * dim];
        for (int i = 0; i < dim; i++) {
            for (int j = i; j < dim; j++) {
                double v = sum[i * dim + j] * f;
                h[i * dim + j] = v;
                h[j * dim + i] = v;
            }
        }
        return h;
    }
}
