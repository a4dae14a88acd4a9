package dev.calq.awq;

import dev.calq.calibration.model.DecoderLayer;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.model.RmsNorm;
import dev.calq.formats.model.ModelConfig;

/** The AWQ view of one decoder layer of calq's Llama-family model: weights, norms and sub-blocks on cached inputs. */
public final class DecoderLayerBlock implements AwqBlock {
    private final DecoderLayer layer;
    private final ModelConfig config;

    public DecoderLayerBlock(DecoderLayer layer, ModelConfig config) {
        this.layer = layer;
        this.config = config;
    }

    @Override public int hiddenSize() { return config.hiddenSize(); }

    @Override public int numHeads() { return config.numHeads(); }

    @Override public int numKvHeads() { return config.numKvHeads(); }

    @Override public int headDim() { return config.headDim(); }

    @Override public int intermediateSize() { return config.intermediateSize(); }

    @Override public float[] weight(Projection p) { return layer.weights(p); }

    @Override public void setWeight(Projection p, float[] w) { layer.setWeight(p, w); }

    @Override public float[] bias(Projection p) { return layer.linear(p).bias(); }

    @Override
    public void setBias(Projection p, float[] b) {
        float[] live = layer.linear(p).bias();
        if (live == null || live.length != b.length) throw new IllegalArgumentException(p + ": no bias of length " + b.length);
        System.arraycopy(b, 0, live, 0, b.length);
    }

    private RmsNorm norm0(Norm n) { return n == Norm.INPUT ? layer.inputNorm() : layer.postAttentionNorm(); }

    @Override public float[] norm(Norm n) { return norm0(n).weight(); }

    @Override
    public void setNorm(Norm n, float[] w) {
        float[] live = norm0(n).weight();
        if (live.length != w.length) throw new IllegalArgumentException(n + ": norm of " + live.length + ", got " + w.length);
        System.arraycopy(w, 0, live, 0, w.length);
    }

    @Override public float[] runAttention(float[] normedX, int tokens) { return layer.attention().forward(normedX, 1, tokens, 0, null); }

    @Override public float[] runMlp(float[] normedX, int tokens) { return layer.mlp().forward(normedX, tokens, null); }

    @Override
    public float[] runLinear(Projection p, float[] x, int tokens) {
        float[] out = new float[tokens * outFeatures(p)];
        layer.linear(p).apply(x, tokens, out);
        return out;
    }
}
