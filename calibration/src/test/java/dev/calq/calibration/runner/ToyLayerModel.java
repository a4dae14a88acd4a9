package dev.calq.calibration.runner;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LayerwiseModel;
import dev.calq.calibration.model.LinearInputObserver;
import java.util.Random;

/**
 * A small model with the four input sites of a decoder layer, for runner tests: per token,
 * a = tanh(A h) [ATTN_IN sees h, ATTN_OUT sees a]; h2 = h + O a; c = relu(G h2) [MLP_IN sees h2, MLP_OUT sees c];
 * out = h2 + D c. Weights are plain arrays that a test method may change.
 */
final class ToyLayerModel implements LayerwiseModel {
    final int layers, dim, vocab;
    final float[][] embed;
    final float[][] a, o, g, d; // [layer][out*in]

    ToyLayerModel(int layers, int dim, int vocab, long seed) {
        this.layers = layers;
        this.dim = dim;
        this.vocab = vocab;
        Random r = new Random(seed);
        embed = new float[vocab][dim];
        for (float[] e : embed) for (int i = 0; i < dim; i++) e[i] = (float) r.nextGaussian();
        a = rand(r); o = rand(r); g = rand(r); d = rand(r);
    }

    private float[][] rand(Random r) {
        float[][] w = new float[layers][dim * dim];
        for (float[] m : w) for (int i = 0; i < m.length; i++) m[i] = (float) (r.nextGaussian() / Math.sqrt(dim));
        return w;
    }

    @Override public int numLayers() { return layers; }

    @Override public int hiddenSize() { return dim; }

    @Override public float[] embed(int[] tokens) {
        float[] h = new float[tokens.length * dim];
        for (int t = 0; t < tokens.length; t++) System.arraycopy(embed[tokens[t]], 0, h, t * dim, dim);
        return h;
    }

    @Override public void runLayer(int l, float[] hidden, int tokens, float[] out, LinearInputObserver obs) {
        float[] h = java.util.Arrays.copyOf(hidden, tokens * dim);
        if (obs != null) obs.observe(l, InputSite.ATTN_IN, h, tokens, dim);
        float[] act = matvec(a[l], h, tokens);
        for (int i = 0; i < act.length; i++) act[i] = (float) Math.tanh(act[i]);
        if (obs != null) obs.observe(l, InputSite.ATTN_OUT, act, tokens, dim);
        float[] h2 = matvec(o[l], act, tokens);
        for (int i = 0; i < h2.length; i++) h2[i] += h[i];
        if (obs != null) obs.observe(l, InputSite.MLP_IN, h2, tokens, dim);
        float[] c = matvec(g[l], h2, tokens);
        for (int i = 0; i < c.length; i++) c[i] = Math.max(0, c[i]);
        if (obs != null) obs.observe(l, InputSite.MLP_OUT, c, tokens, dim);
        float[] y = matvec(d[l], c, tokens);
        for (int i = 0; i < y.length; i++) out[i] = h2[i] + y[i];
    }

    private float[] matvec(float[] w, float[] x, int tokens) {
        float[] y = new float[tokens * dim];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < dim; i++) {
                float s = 0;
                for (int k = 0; k < dim; k++) s += w[i * dim + k] * x[t * dim + k];
                y[t * dim + i] = s;
            }
        return y;
    }

    /** The plain forward pass through every layer, for comparison. */
    float[] forward(int[] tokens) {
        float[] h = embed(tokens);
        float[] out = new float[h.length];
        for (int l = 0; l < layers; l++) {
            runLayer(l, h, tokens.length, out, null);
            float[] t = h; h = out; out = t;
        }
        return h;
    }

    private float[][] matrices(dev.calq.calibration.model.Projection p) {
        return switch (p) {
            case Q, K, V -> a;
            case O -> o;
            case GATE, UP -> g;
            case DOWN -> d;
        };
    }

    @Override public int outFeatures(dev.calq.calibration.model.Projection p) { return dim; }

    @Override public int inFeatures(dev.calq.calibration.model.Projection p) { return dim; }

    @Override public float[] weight(int layer, dev.calq.calibration.model.Projection p) { return matrices(p)[layer].clone(); }

    @Override public void setWeight(int layer, dev.calq.calibration.model.Projection p, float[] w) { matrices(p)[layer] = w.clone(); }

    @Override public long layerWeightBytes(int layer) { return 4L * dim * dim * 4; }

    @Override public long activationBytes(int tokens) { return 6L * tokens * dim * 4; }
}
