package dev.calq.datasets;

import dev.calq.datasets.tokenizer.Tokenizer;

/** Test tokenizer: one token per code point, the id being the code point; BOS 1, EOS 2. */
final class CodePointTokenizer implements Tokenizer {
    @Override public int[] encode(String text) { return text.codePoints().toArray(); }
    @Override public String decode(int[] ids) { return new String(ids, 0, ids.length); }
    @Override public int bosId() { return 1; }
    @Override public int eosId() { return 2; }
    @Override public boolean addBos() { return true; }
    @Override public int vocabSize() { return 0x110000; }

    /** A text of n distinct characters, so each token's value tells its position (position = id - BASE). */
    static final int BASE = 0x4E00;

    static String distinct(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.appendCodePoint(BASE + i);
        return sb.toString();
    }
}
