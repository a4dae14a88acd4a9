package dev.calq.calibration.model;

import dev.calq.calibration.kernels.MatMul;
import dev.calq.calibration.kernels.WeightMatrix;
import dev.calq.formats.tensor.Tensor;

/**
 * One linear projection y = x W^T (+ b) with W stored [out x in] as in Hugging Face checkpoints. The weight stays in
 * its file dtype (usually a memory-mapped bf16 view); quantizers replace it with {@link #setWeight(Tensor)}.
 */
public final class Linear {
    private final String name;
    private final int outFeatures;
    private final int inFeatures;
    private Tensor weight;
    private WeightMatrix matrix;
    private final float[] bias;

    public Linear(String name, Tensor weight, float[] bias) {
        this.name = name;
        this.outFeatures = (int) weight.dim(0);
        this.inFeatures = (int) weight.dim(1);
        this.bias = bias;
        setWeight(weight);
    }

    public String name() { return name; }

    public int outFeatures() { return outFeatures; }

    public int inFeatures() { return inFeatures; }

    /** The current weight tensor, [out x in] (a float32 copy when the weight was installed as a WeightMatrix). */
    public Tensor weight() {
        return weight != null ? weight : Tensor.ofFloats(name, weightFloats(), outFeatures, inFeatures);
    }

    /** The current weight as the matmul kernels read it. */
    public WeightMatrix matrix() { return matrix; }

    /** The bias (live array, may be modified in place), or null when the projection has none. */
    public float[] bias() { return bias; }

    /** The weight as a fresh float32 array, row-major [out x in]. */
    public float[] weightFloats() {
        float[] w = new float[outFeatures * inFeatures];
        matrix.copyRows(0, outFeatures, w, 0);
        return w;
    }

    /** Replaces the weight; the shape must stay [out x in]. */
    public void setWeight(Tensor w) {
        if (w.rank() != 2 || w.dim(0) != outFeatures || w.dim(1) != inFeatures)
            throw new IllegalArgumentException(name + ": weight of shape " + java.util.Arrays.toString(w.shape())
                    + " where [" + outFeatures + ", " + inFeatures + "] is expected");
        this.weight = w;
        this.matrix = WeightMatrix.of(w);
    }

    /** Replaces the weight with a copy of float32 values, row-major [out x in] (e.g. dequantized GPTQ/AWQ weights). */
    public void setWeight(float[] w) {
        if (w.length != outFeatures * inFeatures)
            throw new IllegalArgumentException(name + ": " + w.length + " weights where " + outFeatures + "x" + inFeatures + " are expected");
        setWeight(WeightMatrix.of(w.clone(), outFeatures, inFeatures));
    }

    /** Replaces the weight with any storage the kernels read (e.g. a dequantizing view); must be [out x in]. */
    public void setWeight(WeightMatrix w) {
        if (w.rows() != outFeatures || w.cols() != inFeatures)
            throw new IllegalArgumentException(name + ": weight of " + w.rows() + "x" + w.cols() + " where "
                    + outFeatures + "x" + inFeatures + " is expected");
        // A mapped weight replaced (by a quantized one) is not read again by this projection: drop its pages from RSS.
        if (weight != null) dev.calq.formats.tensor.MappedPages.release(weight.data());
        this.weight = null;
        this.matrix = w;
    }

    /** out[rows x outFeatures] = x[rows x inFeatures] W^T + b. */
    public void apply(float[] x, int rows, float[] out) {
        MatMul.mulTransposed(x, rows, matrix, out);
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                int base = r * outFeatures;
                for (int j = 0; j < outFeatures; j++) out[base + j] += bias[j];
            }
        }
    }
}
