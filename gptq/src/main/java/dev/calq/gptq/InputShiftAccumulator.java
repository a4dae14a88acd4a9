package dev.calq.gptq;

import dev.calq.calibration.kernels.MatMul;
import dev.calq.formats.CalqException;

/**
 * The cross term of GPTQ against the full-precision model at one input site: Delta = 2/N sum over the N calibration
 * tokens of x~ (x - x~)^T, i.e. 2/N X~^T (X - X~) for X the full-precision model's inputs and X~ the quantized
 * model's ([tokens x n] each). Scaled as {@link HessianAccumulator}'s H = 2/N X~^T X~, so that W Delta^T H^-1 is the
 * shift of the asymmetric objective's minimiser (see {@link InputShift}).
 *
 * <p>Each sample's product is formed in float32 on calq's matrix kernel (at most a sample's tokens per float32 sum)
 * and added into a float64 total, as the Hessian is. Not thread-safe for concurrent adds (the observer serialises).
 */
public final class InputShiftAccumulator {
    private final String name;
    private final int dim;
    private final double[] sum;
    private long tokens;
    private float[] quantizedT = new float[0], shift = new float[0];
    private final float[] product;

    public InputShiftAccumulator(String name, int dim) {
        if (dim <= 0) throw new IllegalArgumentException("dim " + dim);
        this.name = name;
        this.dim = dim;
        this.sum = new double[dim * dim];
        this.product = new float[dim * dim];
    }

    public int dim() { return dim; }

    public long tokens() { return tokens; }

    /** Adds one sample: {@code full} and {@code quantized} hold {@code rows} rows of {@code dim} floats. */
    public void add(float[] full, float[] quantized, int rows, int xDim) {
        if (xDim != dim) throw new CalqException(name + ": activation width " + xDim + " does not match " + dim);
        if (rows <= 0) return;
        if (quantizedT.length < rows * dim) {
            quantizedT = new float[rows * dim];
            shift = new float[rows * dim];
        }
        for (int t = 0; t < rows; t++) {
            int o = t * dim;
            for (int c = 0; c < dim; c++) {
                float q = quantized[o + c], f = full[o + c];
                if (!Float.isFinite(f) || !Float.isFinite(q))
                    throw new CalqException(name + ": non-finite activation at token " + t + ", channel " + c
                            + " (after " + tokens + " calibration tokens); the model or the calibration input is broken");
                quantizedT[c * rows + t] = q;
                shift[o + c] = f - q;
            }
        }
        MatMul.mul(quantizedT, 0, rows, shift, 0, dim, product, 0, dim, dim, dim, rows, false);
        for (int i = 0; i < product.length; i++) sum[i] += product[i];
        tokens += rows;
    }

    /** Delta = 2/N X~^T (X - X~) as a row-major [dim x dim] array (a fresh copy; not symmetric). */
    public double[] delta() {
        if (tokens == 0) throw new CalqException(name + ": no calibration tokens reached this site");
        double f = 2.0 / tokens;
        double[] d = new double[dim * dim];
        for (int i = 0; i < d.length; i++) d[i] = sum[i] * f;
        return d;
    }
}
