package dev.calq.calibration.model;

/**
 * Receives the input of a layer's projections as the forward pass computes it: {@code x} holds {@code tokens} rows
 * of {@code dim} floats (row-major) for one sample. Implementations must not keep {@code x}: it is reused.
 * GPTQ accumulates X^T X, AWQ per-channel magnitudes (and caches inputs), the importance matrix sums of squares.
 */
@FunctionalInterface
public interface LinearInputObserver {
    void observe(int layer, InputSite site, float[] x, int tokens, int dim);
}
