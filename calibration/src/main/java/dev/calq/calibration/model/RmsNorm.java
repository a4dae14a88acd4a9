package dev.calq.calibration.model;

import dev.calq.calibration.kernels.VectorOps;

/** Root-mean-square normalisation, y = x / sqrt(mean(x^2) + eps) * weight, over rows of {@code dim} floats. */
public final class RmsNorm {
    private final float[] weight;
    private final float eps;

    public RmsNorm(float[] weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    public int dim() { return weight.length; }

    /** The live weight: AWQ folds its channel scales into it by dividing in place. */
    public float[] weight() { return weight; }

    /** Normalises the first {@code rows} rows of {@code in} (each {@code dim()} wide) into {@code out} (may be in). */
    public void apply(float[] in, float[] out, int rows) {
        VectorOps.rmsNorm(in, weight, eps, out, rows, weight.length);
    }

    /** A new array with the normalised rows. */
    public float[] apply(float[] in, int rows) {
        float[] out = new float[rows * weight.length];
        apply(in, out, rows);
        return out;
    }

    /** Normalises the {@code dim()} floats at {@code offset} of {@code in} into the same place of {@code out}. */
    public void applyRow(float[] in, float[] out, int offset) {
        VectorOps.rmsNormRow(in, offset, weight, eps, out, offset, weight.length);
    }
}
