package dev.calq.calibration.model;

/**
 * Receives, for one sample, a projection input as the full-precision model computes it ({@code full}) and as the
 * model being quantized computes it ({@code quantized}), both {@code tokens} rows of {@code dim} floats, row-major.
 * GPTQ against the full-precision model accumulates X~^T (X - X~) from such pairs. Neither array may be kept.
 */
@FunctionalInterface
public interface PairedInputObserver {
    void observe(int layer, InputSite site, float[] full, float[] quantized, int tokens, int dim);
}
