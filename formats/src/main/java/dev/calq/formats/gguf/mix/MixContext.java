package dev.calq.formats.gguf.mix;

import java.util.Collection;

/**
 * What llama-quantize knows about the whole model when it picks a tensor's type: layer count, grouped-query
 * factor, whether an importance matrix is used, how many attn_v tensors there are and whether output.weight is
 * absent (tied embeddings, so token_embd takes the output rule); plus the running attn_v / ffn_down counters.
 */
public final class MixContext {
    private final int nLayers;
    private final int gqa;
    private final boolean hasImatrix;
    private final int nAttentionWv;
    private final boolean tiedEmbeddings;
    int iAttentionWv;
    int iFfnDown;

    public MixContext(int nLayers, int gqa, boolean hasImatrix, int nAttentionWv, boolean tiedEmbeddings) {
        this.nLayers = nLayers;
        this.gqa = gqa;
        this.hasImatrix = hasImatrix;
        this.nAttentionWv = nAttentionWv;
        this.tiedEmbeddings = tiedEmbeddings;
    }

    /** A context for a model whose GGUF tensor names are {@code names} (counted as llama-quantize counts them). */
    public static MixContext forTensors(Collection<String> names, int nLayers, int nHeads, int nKvHeads, boolean hasImatrix) {
        int wv = 0;
        boolean output = false;
        for (String n : names) {
            TensorCategory c = TensorCategory.of(n);
            if (c.isAttentionV()) wv++;
            if (c == TensorCategory.OUTPUT) output = true;
        }
        return new MixContext(nLayers, nKvHeads > 0 ? nHeads / nKvHeads : 1, hasImatrix, wv, !output);
    }

    public int nLayers() { return nLayers; }

    public int gqa() { return gqa; }

    public boolean hasImatrix() { return hasImatrix; }

    public int nAttentionWv() { return nAttentionWv; }

    public boolean tiedEmbeddings() { return tiedEmbeddings; }
}
