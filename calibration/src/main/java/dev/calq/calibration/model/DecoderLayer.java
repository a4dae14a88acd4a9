package dev.calq.calibration.model;

import dev.calq.calibration.kernels.VectorOps;
import dev.calq.calibration.kernels.WeightMatrix;
import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.tensor.Tensor;

/**
 * One pre-norm decoder layer: h += attention(input_layernorm(h)); h += mlp(post_attention_layernorm(h)).
 * The calibration runner runs it alone on a batch of hidden states with an observer on every projection input;
 * quantizers read and replace projection weights, AWQ scales the norms and runs the blocks on cached inputs.
 */
public final class DecoderLayer {
    private final int index;
    private final RmsNorm inputNorm, postAttentionNorm;
    private final Attention attention;
    private final Mlp mlp;

    public DecoderLayer(int index, RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {
        this.index = index;
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    static DecoderLayer load(WeightReader r, ModelConfig c, int i, Rope rope) {
        String p = "model.layers." + i + ".";
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize();
        Linear lq = linear(r, Projection.Q, i, q, h), lk = linear(r, Projection.K, i, kv, h), lv = linear(r, Projection.V, i, kv, h);
        if (c.attentionBias() && (lq.bias() == null || lk.bias() == null || lv.bias() == null))
            throw new CalqException(r.origin() + ": config.json says attention_bias but layer " + i + " lacks a q/k/v bias");
        RmsNorm qn = null, kn = null;
        if (c.hasQkNorm()) {
            qn = new RmsNorm(r.floats(p + "self_attn.q_norm.weight", c.headDim()), c.rmsNormEps());
            kn = new RmsNorm(r.floats(p + "self_attn.k_norm.weight", c.headDim()), c.rmsNormEps());
        }
        Attention att = new Attention(i, lq, lk, lv, linear(r, Projection.O, i, h, q), qn, kn, rope,
                c.numHeads(), c.numKvHeads(), c.headDim());
        Mlp mlp = new Mlp(i, linear(r, Projection.GATE, i, inter, h), linear(r, Projection.UP, i, inter, h),
                linear(r, Projection.DOWN, i, h, inter));
        return new DecoderLayer(i,
                new RmsNorm(r.floats(p + "input_layernorm.weight", h), c.rmsNormEps()), att,
                new RmsNorm(r.floats(p + "post_attention_layernorm.weight", h), c.rmsNormEps()), mlp);
    }

    private static Linear linear(WeightReader r, Projection p, int layer, long out, long in) {
        Tensor w = r.tensor(p.weightName(layer), out, in);
        return new Linear(p.weightName(layer), w, r.optionalBias(p.biasName(layer), (int) out));
    }

    public int index() { return index; }

    public Attention attention() { return attention; }

    public Mlp mlp() { return mlp; }

    public RmsNorm inputNorm() { return inputNorm; }

    public RmsNorm postAttentionNorm() { return postAttentionNorm; }

    /** The norm whose output is the input at {@code site} (ATTN_IN: input_layernorm, MLP_IN: post_attention_layernorm). */
    public RmsNorm normBefore(InputSite site) {
        return switch (site) {
            case ATTN_IN -> inputNorm;
            case MLP_IN -> postAttentionNorm;
            default -> throw new IllegalArgumentException(site + " is not preceded by a norm");
        };
    }

    public Linear linear(Projection p) {
        return switch (p) {
            case Q -> attention.q();
            case K -> attention.k();
            case V -> attention.v();
            case O -> attention.o();
            case GATE -> mlp.gate();
            case UP -> mlp.up();
            case DOWN -> mlp.down();
        };
    }

    /** The projection's current weight as a fresh float32 array, row-major [out x in]. */
    public float[] weights(Projection p) { return linear(p).weightFloats(); }

    /** The projection's current weight tensor (a memory-mapped view, or what setWeight installed). */
    public Tensor weight(Projection p) { return linear(p).weight(); }

    /** Replaces the projection's weight with float32 values, row-major [out x in]. */
    public void setWeight(Projection p, float[] w) { linear(p).setWeight(w); }

    public void setWeight(Projection p, Tensor w) { linear(p).setWeight(w); }

    public void setWeight(Projection p, WeightMatrix w) { linear(p).setWeight(w); }

    /**
     * Runs the layer in place on {@code hidden} = [batch * tokens x hidden] (batch sequences of equal length,
     * each attending causally to itself only; token t at position posOffset + t). observer may be null.
     */
    public void forward(float[] hidden, int batch, int tokens, int posOffset, LinearInputObserver observer) {
        forwardUntil(hidden, batch, tokens, posOffset, observer, null);
    }

    /**
     * As {@link #forward(float[], int, int, int, LinearInputObserver)}, but stops once the observer has seen the
     * input at {@code last} (null: the whole layer). A stopped pass leaves {@code hidden} partly updated, and costs
     * only what precedes the site: the norm alone for ATTN_IN, q/k/v and attention for ATTN_OUT. The values
     * observed are exactly those of a whole pass (the same code runs up to that point).
     */
    public void forwardUntil(float[] hidden, int batch, int tokens, int posOffset, LinearInputObserver observer, InputSite last) {
        int rows = batch * tokens;
        float[] normed = inputNorm.apply(hidden, rows);
        float[] att = attention.forward(normed, batch, tokens, posOffset, observer, last);
        if (att == null) return;
        VectorOps.add(hidden, 0, att, 0, att.length);
        postAttentionNorm.apply(hidden, normed, rows);
        float[] ff = mlp.forward(normed, rows, observer, last);
        if (ff == null) return;
        VectorOps.add(hidden, 0, ff, 0, ff.length);
    }

    /**
     * The whole layer for rows {@code fromRow..} of each of {@code batch} sequences (from position 0), returned as
     * [batch * (tokens - fromRow) x hidden]: attention runs on every row (the kept rows attend to all earlier ones),
     * the feed-forward block only on the kept rows. The kept rows' values are those of {@link #forward}; the last
     * layer before the head needs no more. {@code hidden} is left partly updated.
     */
    public float[] forwardKeeping(float[] hidden, int batch, int tokens, int fromRow) {
        int rows = batch * tokens, kept = tokens - fromRow, h = inputNorm.dim();
        float[] normed = inputNorm.apply(hidden, rows);
        float[] att = attention.forward(normed, batch, tokens, 0, null, null);
        float[] out = new float[batch * kept * h];
        for (int b = 0; b < batch; b++) {
            int from = (b * tokens + fromRow) * h, to = b * kept * h;
            System.arraycopy(hidden, from, out, to, kept * h);
            VectorOps.add(out, to, att, from, kept * h);
        }
        float[] n2 = postAttentionNorm.apply(out, batch * kept);
        VectorOps.add(out, 0, mlp.forward(n2, batch * kept, null), 0, out.length);
        return out;
    }

    /** One sequence of {@code tokens} tokens from position 0. */
    public void forward(float[] hidden, int tokens, LinearInputObserver observer) {
        forward(hidden, 1, tokens, 0, observer);
    }
}
