package dev.calq.calibration.model;

/**
 * Root-mean-square normalisation, y = x / sqrt(mean(x^2) + eps) * weight, over rows of {@code dim} floats.
 * The sum of squares is accumulated in double so that long rows lose nothing to rounding.
 */
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

    /** Normalises {@code rows} rows of {@code in} (each {@code dim()} wide, starting at multiples of {@code stride}). */
    public void apply(float[] in, float[] out, int rows) {
        int d = weight.length;
        for (int r = 0; r < rows; r++) applyRow(in, out, r * d);
    }

    /** A new array with the normalised rows. */
    public float[] apply(float[] in, int rows) {
        float[] out = new float[rows * weight.length];
        apply(in, out, rows);
        return out;
    }

    /** Normalises the {@code dim()} floats at {@code offset} of {@code in} into the same place of {@code out}. */
    public void applyRow(float[] in, float[] out, int offset) {
        int d = weight.length;
        double ss = 0;
        for (int i = 0; i < d; i++) {
            float v = in[offset + i];
            ss += v * v;
        }
        float inv = (float) (1.0 / Math.sqrt((float) (ss / d) + eps));
        for (int i = 0; i < d; i++) out[offset + i] = weight[i] * (in[offset + i] * inv);
    }
}
