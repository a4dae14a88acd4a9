package dev.calq.calibration.runner;

import dev.calq.calibration.model.LinearInputObserver;

/** What the calibration runner needs of a model: embeddings, then one decoder layer at a time. */
public interface LayerwiseModel {
    int numLayers();

    int hiddenSize();

    /** The embeddings of {@code tokens}: tokens.length x hiddenSize floats, row-major. */
    float[] embed(int[] tokens);

    /**
     * Runs decoder layer {@code layer} on {@code hidden} (tokens x hiddenSize) into {@code out} (same size; may be
     * the same array). {@code observer} (may be null) sees the input of every projection as it is computed.
     */
    void runLayer(int layer, float[] hidden, int tokens, float[] out, LinearInputObserver observer);

    /** Float32 bytes of one decoder layer's weights when materialised (for the memory estimate). */
    long layerWeightBytes(int layer);

    /** Peak float32 scratch bytes of one layer's forward pass over {@code tokens} tokens (activations). */
    long activationBytes(int tokens);
}
