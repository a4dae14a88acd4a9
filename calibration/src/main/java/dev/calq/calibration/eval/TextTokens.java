package dev.calq.calibration.eval;

import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.formats.CalqException;
import java.nio.file.Path;

/** Text to token ids as llama.cpp's perplexity and imatrix tools tokenize it (eval, imatrix and the sensitivity pass). */
public final class TextTokens {
    private TextTokens() {}

    /** The text's token ids with BOS first when the tokenizer asks for it; ids outside the vocabulary fail naming {@code model}. */
    public static int[] tokenize(Tokenizer tokenizer, String content, int vocab, Path model) {
        int[] ids = tokenizer.encode(content);
        boolean bos = tokenizer.addBos() && tokenizer.bosId() >= 0;
        int[] tokens = new int[ids.length + (bos ? 1 : 0)];
        if (bos) tokens[0] = tokenizer.bosId();
        System.arraycopy(ids, 0, tokens, bos ? 1 : 0, ids.length);
        for (int t : tokens)
            if (t < 0 || t >= vocab) throw CalqException.file(model, "the tokenizer produced id " + t + " outside the model's vocabulary of " + vocab);
        return tokens;
    }

    /**
     * The token that replaces the first of every llama.cpp chunk: BOS when the vocabulary adds BOS (as
     * llama-perplexity and llama-imatrix do), else none (-1), even when the tokenizer has a BOS id.
     */
    public static int chunkBos(Tokenizer tokenizer) { return tokenizer.addBos() ? tokenizer.bosId() : -1; }
}
