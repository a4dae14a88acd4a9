package dev.calq.calibration.model;

/**
 * The self-attention block of a Llama-family layer: q/k/v projections (optional biases: Qwen2), per-head RMSNorm
 * of q and k (Qwen3), rotary embeddings, grouped-query causal attention, o_proj. Works on a batch of
 * {@code batch} whole sequences of {@code tokens} tokens each, rows [batch * tokens x hidden].
 */
public final class Attention {
    private final int layer;
    private final Linear q, k, v, o;
    private final RmsNorm qNorm, kNorm;
    private final Rope rope;
    private final int heads, kvHeads, headDim;

    public Attention(int layer, Linear q, Linear k, Linear v, Linear o, RmsNorm qNorm, RmsNorm kNorm, Rope rope,
                     int heads, int kvHeads, int headDim) {
        this.layer = layer;
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.rope = rope;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    public Linear q() { return q; }

    public Linear k() { return k; }

    public Linear v() { return v; }

    public Linear o() { return o; }

    /** Qwen3's per-head norm of q (null for other families). */
    public RmsNorm qNorm() { return qNorm; }

    public RmsNorm kNorm() { return kNorm; }

    /**
     * The attention output before o_proj (the input of o_proj), [batch * tokens x heads * headDim], from the normed
     * hidden states; token t of each sample sits at position posOffset + t.
     */
    public float[] context(float[] normed, int batch, int tokens, int posOffset) {
        int rows = batch * tokens;
        float[] qs = new float[rows * heads * headDim];
        float[] ks = new float[rows * kvHeads * headDim];
        float[] vs = new float[rows * kvHeads * headDim];
        q.apply(normed, rows, qs);
        k.apply(normed, rows, ks);
        v.apply(normed, rows, vs);
        if (qNorm != null) {
            for (int off = 0; off < qs.length; off += headDim) qNorm.applyRow(qs, qs, off);
            for (int off = 0; off < ks.length; off += headDim) kNorm.applyRow(ks, ks, off);
        }
        for (int b = 0; b < batch; b++) {
            rope.apply(qs, b * tokens, tokens, heads * headDim, heads, posOffset);
            rope.apply(ks, b * tokens, tokens, kvHeads * headDim, kvHeads, posOffset);
        }
        float[] ctx = new float[rows * heads * headDim];
        CausalAttention.compute(qs, ks, vs, ctx, batch, tokens, heads, kvHeads, headDim, (float) (1.0 / Math.sqrt(headDim)));
        return ctx;
    }

    /**
     * The whole block, o_proj included: returns [batch * tokens x hidden]. The observer (may be null) sees the
     * shared q/k/v input and the o_proj input.
     */
    public float[] forward(float[] normed, int batch, int tokens, int posOffset, LinearInputObserver observer) {
        return forward(normed, batch, tokens, posOffset, observer, null);
    }

    /**
     * As {@link #forward(float[], int, int, int, LinearInputObserver)}, but stops (returning null) once the
     * observer has seen the input at {@code last} when that is one of this block's sites (null: never stops).
     */
    public float[] forward(float[] normed, int batch, int tokens, int posOffset, LinearInputObserver observer, InputSite last) {
        int rows = batch * tokens;
        if (observer != null) observer.observe(layer, InputSite.ATTN_IN, normed, rows, q.inFeatures());
        if (last == InputSite.ATTN_IN) return null;
        float[] ctx = context(normed, batch, tokens, posOffset);
        if (observer != null) observer.observe(layer, InputSite.ATTN_OUT, ctx, rows, o.inFeatures());
        if (last == InputSite.ATTN_OUT) return null;
        float[] out = new float[rows * o.outFeatures()];
        o.apply(ctx, rows, out);
        return out;
    }
}
