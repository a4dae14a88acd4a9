package dev.calq.awq;

import dev.calq.calibration.model.Projection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/** A small Llama-style decoder layer written with plain loops (GQA attention without RoPE, SwiGLU MLP, RMSNorm). */
final class SyntheticBlock implements AwqBlock {
    final int hidden, heads, kv, hd, inter;
    final Map<Projection, float[]> w = new EnumMap<>(Projection.class);
    final Map<Projection, float[]> b = new EnumMap<>(Projection.class);
    float[] norm1, norm2;

    SyntheticBlock(int hidden, int heads, int kv, int hd, int inter, boolean vBias, long seed) {
        this.hidden = hidden;
        this.heads = heads;
        this.kv = kv;
        this.hd = hd;
        this.inter = inter;
        Random rnd = new Random(seed);
        for (Projection p : Projection.values()) {
            float[] m = new float[outFeatures(p) * inFeatures(p)];
            float sd = (float) (1 / Math.sqrt(inFeatures(p)));
            for (int i = 0; i < m.length; i++) m[i] = (float) rnd.nextGaussian() * sd;
            w.put(p, m);
        }
        if (vBias) {
            float[] bias = new float[outFeatures(Projection.V)];
            for (int i = 0; i < bias.length; i++) bias[i] = (float) rnd.nextGaussian() * 0.1f;
            b.put(Projection.V, bias);
        }
        norm1 = gains(rnd);
        norm2 = gains(rnd);
    }

    private float[] gains(Random rnd) {
        float[] g = new float[hidden];
        for (int i = 0; i < hidden; i++) g[i] = 0.5f + rnd.nextFloat();
        return g;
    }

    @Override public int hiddenSize() { return hidden; }
    @Override public int numHeads() { return heads; }
    @Override public int numKvHeads() { return kv; }
    @Override public int headDim() { return hd; }
    @Override public int intermediateSize() { return inter; }
    @Override public float[] weight(Projection p) { return w.get(p); }
    @Override public void setWeight(Projection p, float[] m) { w.put(p, m); }
    @Override public float[] bias(Projection p) { return b.get(p); }
    @Override public void setBias(Projection p, float[] v) { b.put(p, v); }
    @Override public float[] norm(Norm n) { return n == Norm.INPUT ? norm1 : norm2; }
    @Override public void setNorm(Norm n, float[] g) { if (n == Norm.INPUT) norm1 = g; else norm2 = g; }

    @Override
    public float[] runLinear(Projection p, float[] x, int tokens) {
        int in = inFeatures(p), out = outFeatures(p);
        float[] m = w.get(p), bias = b.get(p);
        float[] y = new float[tokens * out];
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int c = 0; c < in; c++) s += (double) x[t * in + c] * m[o * in + c];
                y[t * out + o] = (float) s;
            }
        return y;
    }

    @Override
    public float[] runAttention(float[] x, int tokens) { return runLinear(Projection.O, attentionValues(x, tokens), tokens); }

    @Override
    public float[] runMlp(float[] x, int tokens) {
        float[] g = runLinear(Projection.GATE, x, tokens), u = runLinear(Projection.UP, x, tokens);
        for (int i = 0; i < g.length; i++) g[i] = (float) (g[i] / (1 + Math.exp(-g[i])) * u[i]);
        return runLinear(Projection.DOWN, g, tokens);
    }

    float[] rmsNorm(float[] x, int tokens, float[] gain) {
        float[] y = new float[x.length];
        for (int t = 0; t < tokens; t++) {
            double ss = 0;
            for (int c = 0; c < hidden; c++) ss += (double) x[t * hidden + c] * x[t * hidden + c];
            double inv = 1 / Math.sqrt(ss / hidden + 1e-5);
            for (int c = 0; c < hidden; c++) y[t * hidden + c] = (float) (x[t * hidden + c] * inv * gain[c]);
        }
        return y;
    }

    /** The whole layer: x + attn(norm1(x)), then + mlp(norm2(.)). */
    float[] forward(float[] x, int tokens) {
        float[] a = runAttention(rmsNorm(x, tokens, norm1), tokens);
        float[] h = x.clone();
        for (int i = 0; i < h.length; i++) h[i] += a[i];
        float[] m = runMlp(rmsNorm(h, tokens, norm2), tokens);
        for (int i = 0; i < h.length; i++) h[i] += m[i];
        return h;
    }

    /** Runs the layer on {@code x} and caches the four projection inputs as the runner's observer would. */
    LayerInputs capture(LayerInputs cache, float[] x, int tokens) {
        float[] n1 = rmsNorm(x, tokens, norm1);
        cache.add(dev.calq.calibration.model.InputSite.ATTN_IN, n1, tokens);
        float[] att = attentionValues(n1, tokens);
        cache.add(dev.calq.calibration.model.InputSite.ATTN_OUT, att, tokens);
        float[] a = runLinear(Projection.O, att, tokens);
        float[] h = x.clone();
        for (int i = 0; i < h.length; i++) h[i] += a[i];
        float[] n2 = rmsNorm(h, tokens, norm2);
        cache.add(dev.calq.calibration.model.InputSite.MLP_IN, n2, tokens);
        float[] g = runLinear(Projection.GATE, n2, tokens), u = runLinear(Projection.UP, n2, tokens);
        for (int i = 0; i < g.length; i++) g[i] = (float) (g[i] / (1 + Math.exp(-g[i])) * u[i]);
        cache.add(dev.calq.calibration.model.InputSite.MLP_OUT, g, tokens);
        return cache;
    }

    /** Causal GQA attention up to, not including, o_proj: [tokens x heads*headDim]. */
    float[] attentionValues(float[] n1, int tokens) {
        int qd = heads * hd;
        float[] q = runLinear(Projection.Q, n1, tokens), k = runLinear(Projection.K, n1, tokens), v = runLinear(Projection.V, n1, tokens);
        int kd = kv * hd;
        float[] att = new float[tokens * qd];
        for (int h = 0; h < heads; h++) {
            int g = h / (heads / kv);
            for (int i = 0; i < tokens; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double d = 0;
                    for (int e = 0; e < hd; e++) d += (double) q[i * qd + h * hd + e] * k[j * kd + g * hd + e];
                    s[j] = d / Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j <= i; j++) z += s[j] = Math.exp(s[j] - max);
                for (int e = 0; e < hd; e++) {
                    double o = 0;
                    for (int j = 0; j <= i; j++) o += s[j] / z * v[j * kd + g * hd + e];
                    att[i * qd + h * hd + e] = (float) o;
                }
            }
        }
        return att;
    }
}
