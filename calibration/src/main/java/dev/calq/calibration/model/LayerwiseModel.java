package dev.calq.calibration.model;

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

    /**
     * Runs layer {@code layer} only as far as the observer needs to see the input at {@code last}; {@code scratch}
     * (same size as hidden) is overwritten with unspecified values. The observed values must equal those of
     * {@link #runLayer}. This default runs the whole layer.
     */
    default void observeLayer(int layer, float[] hidden, int tokens, float[] scratch, LinearInputObserver observer, InputSite last) {
        runLayer(layer, hidden, tokens, scratch, observer);
    }

    /** Output rows of a projection's weight ([out, in] as in Hugging Face Linear layers). */
    int outFeatures(Projection p);

    /** Input columns of a projection's weight. */
    int inFeatures(Projection p);

    /** A float32 copy of a projection's current weight, out x in, row-major. */
    float[] weight(int layer, Projection p);

    /** Replaces a projection's weight (out x in float32) for every later forward pass. */
    void setWeight(int layer, Projection p, float[] weight);

    /**
     * Replaces a projection's weight with what {@code q} stands for (the same floats as {@code q.dequantize()}).
     * Models that can read the packed codes directly keep no float32 copy; this default installs one.
     */
    default void setWeight(int layer, Projection p, dev.calq.formats.quantized.QuantizedLinear q) { setWeight(layer, p, q.dequantize()); }

    /**
     * A layer's projection weights as they are now, to be put back later with {@link #restoreWeights}. Weights
     * installed by setWeight are never modified in place, so a model may hand out references (LlamaModel does); this
     * default copies them.
     */
    default WeightSnapshot snapshotWeights(int layer) {
        java.util.EnumMap<Projection, float[]> w = new java.util.EnumMap<>(Projection.class);
        for (Projection p : Projection.values()) w.put(p, weight(layer, p));
        return new WeightSnapshot(w);
    }

    /** Puts back the projection weights of a {@link #snapshotWeights} of the same layer. */
    default void restoreWeights(int layer, WeightSnapshot snapshot) {
        for (var e : snapshot.weights().entrySet()) setWeight(layer, e.getKey(), (float[]) e.getValue());
    }

    /** What {@link #snapshotWeights} returns: per projection, whatever the model needs to reinstall the weight. */
    record WeightSnapshot(java.util.Map<Projection, ?> weights) {}

    /** Float32 bytes of one decoder layer's weights when materialised (for the memory estimate). */
    long layerWeightBytes(int layer);

    /** Peak float32 scratch bytes of one layer's forward pass over {@code tokens} tokens (activations). */
    long activationBytes(int tokens);
}
