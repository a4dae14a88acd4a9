package dev.calq.calibration.eval;

/**
 * How a token stream is cut into windows and which positions are scored. Both methods start from the whole text
 * tokenized once, with BOS prepended when the tokenizer asks for it.
 */
public enum PerplexityMethod {
    /**
     * llama.cpp's llama-perplexity: non-overlapping chunks of ctx tokens (a trailing partial chunk is dropped),
     * token 0 of every chunk replaced by BOS, and only the second half scored: the logits at positions
     * ctx/2 .. ctx-2 predict the next token, ctx - 1 - ctx/2 tokens per chunk.
     */
    LLAMA,
    /**
     * The GPTQ/AWQ papers' wikitext evaluation: the text cut into consecutive windows of ctx tokens (a trailing
     * partial window dropped), nothing replaced, every next-token prediction inside a window scored (ctx - 1 per
     * window).
     */
    GPTQ;

    /** The first position whose logits are scored. */
    public int firstScored(int ctx) { return this == LLAMA ? ctx / 2 : 0; }

    /** Scored predictions per window: positions firstScored .. ctx-2. */
    public int scoredPerWindow(int ctx) { return ctx - 1 - firstScored(ctx); }

    /** The model input of window {@code w} of {@code tokens}. */
    public int[] window(int[] tokens, int ctx, int w, int bosId) {
        int[] in = java.util.Arrays.copyOfRange(tokens, w * ctx, (w + 1) * ctx);
        if (this == LLAMA && bosId >= 0) in[0] = bosId;
        return in;
    }

    public static int windows(int tokenCount, int ctx) { return tokenCount / ctx; }

    public String cliName() { return name().toLowerCase(java.util.Locale.ROOT); }
}
