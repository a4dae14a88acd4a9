package dev.calq.calibration.model;

import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.tensor.TensorSource;

/**
 * A deliberately plain double-precision Llama-family forward pass, written from the Hugging Face definitions
 * independently of the model classes, against which they are tested.
 */
final class ReferenceForward {
    private final ModelConfig c;
    private final TensorSource s;

    ReferenceForward(ModelConfig c, TensorSource s) {
        this.c = c;
        this.s = s;
    }

    private double[] get(String name) {
        float[] f = s.get(name).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Logits [T][vocab]. */
    double[][] logits(int[] tokens) {
        int T = tokens.length, H = c.hiddenSize();
        double[] emb = get("model.embed_tokens.weight");
        double[][] x = new double[T][H];
        for (int t = 0; t < T; t++) System.arraycopy(emb, tokens[t] * H, x[t], 0, H);
        for (int l = 0; l < c.numLayers(); l++) layer(x, l);
        double[] fn = get("model.norm.weight");
        double[] head = s.contains("lm_head.weight") ? get("lm_head.weight") : emb;
        double[][] out = new double[T][];
        for (int t = 0; t < T; t++) out[t] = linear(rms(x[t], fn), head, null, c.vocabSize());
        return out;
    }

    private void layer(double[][] x, int l) {
        String p = "model.layers." + l + ".";
        int T = x.length, nh = c.numHeads(), nkv = c.numKvHeads(), d = c.headDim();
        double[] wq = get(Projection.Q.weightName(l)), wk = get(Projection.K.weightName(l)), wv = get(Projection.V.weightName(l));
        double[] bq = bias(Projection.Q, l), bk = bias(Projection.K, l), bv = bias(Projection.V, l);
        double[] ln1 = get(p + "input_layernorm.weight");
        double[][] q = new double[T][], k = new double[T][], v = new double[T][];
        for (int t = 0; t < T; t++) {
            double[] n = rms(x[t], ln1);
            q[t] = linear(n, wq, bq, nh * d);
            k[t] = linear(n, wk, bk, nkv * d);
            v[t] = linear(n, wv, bv, nkv * d);
            if (c.hasQkNorm()) {
                headNorm(q[t], get(p + "self_attn.q_norm.weight"), nh, d);
                headNorm(k[t], get(p + "self_attn.k_norm.weight"), nkv, d);
            }
            rope(q[t], nh, t);
            rope(k[t], nkv, t);
        }
        double[] wo = get(Projection.O.weightName(l));
        for (int t = 0; t < T; t++) {
            double[] ctx = new double[nh * d];
            for (int h = 0; h < nh; h++) {
                int kvh = h / (nh / nkv);
                double[] sc = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += q[t][h * d + i] * k[j][kvh * d + i];
                    sc[j] = dot / Math.sqrt(d);
                    max = Math.max(max, sc[j]);
                }
                double sum = 0;
                for (int j = 0; j <= t; j++) sum += sc[j] = Math.exp(sc[j] - max);
                for (int j = 0; j <= t; j++)
                    for (int i = 0; i < d; i++) ctx[h * d + i] += sc[j] / sum * v[j][kvh * d + i];
            }
            double[] o = linear(ctx, wo, bias(Projection.O, l), c.hiddenSize());
            for (int i = 0; i < o.length; i++) x[t][i] += o[i];
        }
        double[] ln2 = get(p + "post_attention_layernorm.weight");
        double[] wg = get(Projection.GATE.weightName(l)), wu = get(Projection.UP.weightName(l)), wd = get(Projection.DOWN.weightName(l));
        int I = c.intermediateSize();
        for (int t = 0; t < T; t++) {
            double[] n = rms(x[t], ln2);
            double[] g = linear(n, wg, null, I), u = linear(n, wu, null, I);
            for (int i = 0; i < I; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            double[] dn = linear(g, wd, null, c.hiddenSize());
            for (int i = 0; i < dn.length; i++) x[t][i] += dn[i];
        }
    }

    private double[] bias(Projection p, int l) { return s.contains(p.biasName(l)) ? get(p.biasName(l)) : null; }

    private double[] rms(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * w[i];
        return out;
    }

    private void headNorm(double[] x, double[] w, int heads, int d) {
        for (int h = 0; h < heads; h++) {
            double[] part = new double[d];
            System.arraycopy(x, h * d, part, 0, d);
            System.arraycopy(rms(part, w), 0, x, h * d, d);
        }
    }

    private static double[] linear(double[] x, double[] w, double[] b, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int i = 0; i < in; i++) s += w[o * in + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    /** rotate_half: pairs (i, i + d/2), angle pos * invFreq(i), with the llama3/linear rules applied to invFreq. */
    private void rope(double[] x, int heads, int pos) {
        int d = c.headDim(), half = d / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double a = pos * invFreq(i), cs = Math.cos(a), sn = Math.sin(a);
                double x1 = x[h * d + i], x2 = x[h * d + i + half];
                x[h * d + i] = x1 * cs - x2 * sn;
                x[h * d + i + half] = x2 * cs + x1 * sn;
            }
        }
    }

    private double invFreq(int i) {
        double f = 1 / Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
        RopeScaling rs = c.ropeScaling();
        if (rs.isDefault()) return f;
        if (rs.type().equals("linear")) return f / rs.factor();
        double wavelen = 2 * Math.PI / f, old = rs.originalMaxPositionEmbeddings();
        if (wavelen < old / rs.highFreqFactor()) return f;
        if (wavelen > old / rs.lowFreqFactor()) return f / rs.factor();
        double smooth = (old / wavelen - rs.lowFreqFactor()) / (rs.highFreqFactor() - rs.lowFreqFactor());
        return (1 - smooth) * f / rs.factor() + smooth * f;
    }
}
