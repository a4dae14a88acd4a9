package dev.calq.formats.gguf.mix;

import java.util.Collection;

/**
 * What llama-quantize knows about the whole model when it picks a tensor's type: layer count, grouped-query
 * factor, llama.cpp's 70B guess, whether an importance matrix is used, how many attn_v tensors there are and whether output.weight is
 * absent (tied embeddings, so token_embd takes the output rule); plus the running attn_v / ffn_down / ffn_gate / ffn_up counters.
 */
public final class MixContext {
    private final int nLayers;
    private final int gqa;
    private final boolean hasImatrix;
    private final int nAttentionWv;
    private final boolean tiedEmbeddings;
    private final boolean seventyB;
    int iAttentionWv;
    int iFfnDown;
    int iFfnGate;
    int iFfnUp;

    public MixContext(int nLayers, int gqa, boolean hasImatrix, int nAttentionWv, boolean tiedEmbeddings) {
        this(nLayers, gqa, hasImatrix, nAttentionWv, tiedEmbeddings, false);
    }

    /** {@code seventyB}: llama.cpp classifies the model as 70B (see {@link #isSeventyB}). */
    public MixContext(int nLayers, int gqa, boolean hasImatrix, int nAttentionWv, boolean tiedEmbeddings, boolean seventyB) {
        this.seventyB = seventyB;
        this.nLayers = nLayers;
        this.gqa = gqa;
        this.hasImatrix = hasImatrix;
        this.nAttentionWv = nAttentionWv;
        this.tiedEmbeddings = tiedEmbeddings;
    }

    /** A context for a model whose GGUF tensor names are {@code names} (counted as llama-quantize counts them). */
    public static MixContext forTensors(Collection<String> names, int nLayers, int nHeads, int nKvHeads, boolean hasImatrix) {
        return forTensors(names, "llama", nLayers, nHeads, nKvHeads, hasImatrix);
    }

    /** As above for a model of llama.cpp architecture {@code arch} ("llama", "qwen2", ...). */
    public static MixContext forTensors(Collection<String> names, String arch, int nLayers, int nHeads, int nKvHeads, boolean hasImatrix) {
        int wv = 0;
        boolean output = false;
        for (String n : names) {
            TensorCategory c = TensorCategory.of(n);
            if (c.isAttentionV()) wv++;
            if (c == TensorCategory.OUTPUT) output = true;
        }
        return new MixContext(nLayers, nKvHeads > 0 ? nHeads / nKvHeads : 0, hasImatrix, wv, !output,
                isSeventyB(arch, nLayers, nHeads, nKvHeads));
    }

    /**
     * llama.cpp's model-size guess that the mixes consult: an 80-layer Llama with grouped-query attention (Llama 2
     * or 3 70B; without GQA it is the 65B) or an 80-layer Qwen2 (72B).
     */
    public static boolean isSeventyB(String arch, int nLayers, int nHeads, int nKvHeads) {
        if (nLayers != 80) return false;
        return switch (arch) {
            case "llama" -> nHeads != nKvHeads;
            case "qwen2" -> true;
            default -> false;
        };
    }

    public int nLayers() { return nLayers; }

    public int gqa() { return gqa; }

    public boolean hasImatrix() { return hasImatrix; }

    public int nAttentionWv() { return nAttentionWv; }

    public boolean tiedEmbeddings() { return tiedEmbeddings; }

    public boolean seventyB() { return seventyB; }
}
