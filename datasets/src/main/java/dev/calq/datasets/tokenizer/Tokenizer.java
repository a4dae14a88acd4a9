package dev.calq.datasets.tokenizer;

/**
 * Text to token ids for one model. {@link #encode} never adds BOS or EOS: callers (calibration sampling,
 * perplexity) decide where sequences start and prepend {@link #bosId()} themselves when {@link #addBos()} says so.
 */
public interface Tokenizer {
    /** The token ids of {@code text}, without BOS/EOS, never truncated. */
    int[] encode(String text);

    /** The text of {@code ids}; special tokens (BOS, EOS, ...) are left out. */
    String decode(int[] ids);

    /** The beginning-of-sequence id, or -1 when the model has none. */
    int bosId();

    /** The end-of-sequence id, or -1 when the model has none. */
    int eosId();

    /** Whether the model expects BOS at the start of every sequence (tokenizer_config.json add_bos_token). */
    boolean addBos();

    int vocabSize();
}
