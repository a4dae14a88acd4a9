package dev.calq.awq;

/**
 * Round-trips a weight matrix through the quantization grid the checkpoint will use ("fake quantization"):
 * {@code w} is [rows x cols] row-major, groups of {@link #groupSize()} run along each row (the input dimension).
 * The search calls it on scaled weights and, for clipping, on clamped slabs one group wide. The adapter is a few
 * lines over the shared grid quantizer ({@code dev.calq.calibration.quant}).
 */
public interface WeightQuantizer {
    float[] fakeQuantize(float[] w, int rows, int cols);

    /** Input channels per quantization group; 0 or less means one group per row. */
    int groupSize();

    /** The effective group length for a matrix with {@code cols} input channels. */
    default int groupLength(int cols) { return groupSize() > 0 ? groupSize() : cols; }

    interface Fake { float[] apply(float[] w, int rows, int cols); }

    static WeightQuantizer of(int groupSize, Fake fake) {
        return new WeightQuantizer() {
            @Override public float[] fakeQuantize(float[] w, int rows, int cols) { return fake.apply(w, rows, cols); }

            @Override public int groupSize() { return groupSize; }
        };
    }
}
