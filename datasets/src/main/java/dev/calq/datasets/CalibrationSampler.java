package dev.calq.datasets;

import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.formats.CalqException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Cuts calibration text into token sequences the way each reference tool does (docs/algorithms.md, "Calibration
 * sampling"). Randomness comes only from a {@link SplittableRandom} seeded with {@code seed} (SplitMix64, the
 * same on every JDK), so a seed always gives the same samples.
 *
 * <p>{@code bos}: whether sequences start with the tokenizer's BOS (normally {@link Tokenizer#addBos()}). A GPTQ
 * window or a chunk keeps its length: with BOS it holds BOS and then {@code seqlen - 1} text tokens.
 */
public final class CalibrationSampler {
    /** The three sampling methods, for callers that choose one by name. */
    public enum Style { GPTQ, AWQ, CHUNKS }

    private CalibrationSampler() {}

    /**
     * The style's samples from a source: GPTQ windows come from {@link CalibrationSource#text()}, except for JSON
     * Lines corpora (c4, pile-val), where each window comes from one random document ({@link #gptqPerDocument}),
     * as GPTQ does for C4; chunks are cut from the text; AWQ blocks from {@link CalibrationSource#documents()}.
     * For CHUNKS, {@code nsamples} is the most chunks to take (0 or less: all) and the seed is unused.
     */
    public static List<int[]> sample(Style style, Tokenizer tok, CalibrationSource source, int nsamples, int seqlen, long seed, boolean bos) {
        try {
            return switch (style) {
                case GPTQ -> source.kind() == CalibrationSource.Kind.JSONL
                        ? gptqPerDocument(tok, source.documents(), nsamples, seqlen, seed, bos)
                        : gptq(tok, source.text(), nsamples, seqlen, seed, bos);
                case AWQ -> awq(tok, source.documents(), nsamples, seqlen, seed, bos);
                case CHUNKS -> chunks(tok, source.text(), seqlen, nsamples, bos);
            };
        } catch (CalqException e) {
            // The samplers see only text; name the file it came from when they find too little of it.
            if (e.getMessage() != null && e.getMessage().startsWith("calibration text")) throw CalqException.file(source.path(), e.getMessage());
            throw e;
        }
    }

    /** GPTQ windows from the documents joined by a blank line (as GPTQ joins WikiText rows). */
    public static List<int[]> gptq(Tokenizer tok, List<String> docs, int nsamples, int seqlen, long seed, boolean bos) {
        return gptq(tok, String.join("\n\n", docs), nsamples, seqlen, seed, bos);
    }

    /**
     * GPTQ style (datautils get_wikitext2): tokenize the whole text once, then {@code nsamples} windows of
     * {@code seqlen} tokens at uniformly random start positions (windows may overlap).
     */
    public static List<int[]> gptq(Tokenizer tok, String text, int nsamples, int seqlen, long seed, boolean bos) {
        checkPositive(nsamples, "--nsamples");
        checkSeqlen(seqlen, bos, tok);
        int[] tokens = tok.encode(text);
        int span = bos ? seqlen - 1 : seqlen;
        if (tokens.length < span)
            throw new CalqException("calibration text has " + tokens.length + " tokens; a window of " + seqlen
                    + " needs " + span + " text tokens" + (bos ? " after BOS" : "") + ": give more text or a smaller --seqlen");
        SplittableRandom rnd = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>(nsamples);
        for (int s = 0; s < nsamples; s++) {
            int start = rnd.nextInt(tokens.length - span + 1);
            out.add(window(tok, bos, tokens, start, span));
        }
        return out;
    }

    /**
     * GPTQ style for a corpus of many documents (datautils get_c4): for each sample, draw documents uniformly at
     * random until one has at least a window's worth of tokens, then take a window at a random start inside it.
     * Only the drawn documents are tokenized, so a large corpus costs little. At least one document must be long
     * enough.
     */
    public static List<int[]> gptqPerDocument(Tokenizer tok, List<String> docs, int nsamples, int seqlen, long seed, boolean bos) {
        checkPositive(nsamples, "--nsamples");
        checkSeqlen(seqlen, bos, tok);
        int span = bos ? seqlen - 1 : seqlen;
        SplittableRandom rnd = new SplittableRandom(seed);
        java.util.Map<Integer, int[]> encoded = new java.util.HashMap<>();
        boolean[] tooShort = new boolean[docs.size()];
        int shortCount = 0, longest = 0;
        List<int[]> out = new ArrayList<>(nsamples);
        while (out.size() < nsamples) {
            if (shortCount == docs.size())
                throw new CalqException("no calibration document has " + span + " tokens for a window of " + seqlen
                        + (bos ? " after BOS" : "") + " (the longest has " + longest + "): give longer documents or a smaller --seqlen");
            int d = rnd.nextInt(docs.size());
            if (tooShort[d]) continue;
            int[] ids = encoded.computeIfAbsent(d, k -> tok.encode(docs.get(k)));
            if (ids.length < span) {
                tooShort[d] = true;
                shortCount++;
                longest = Math.max(longest, ids.length);
                encoded.remove(d);
                continue;
            }
            out.add(window(tok, bos, ids, rnd.nextInt(ids.length - span + 1), span));
        }
        return out;
    }

    /**
     * AWQ style (AutoAWQ get_calib_dataset): shuffle the documents with the seed, tokenize each after stripping
     * surrounding whitespace (with BOS first when {@code bos}, as the Hugging Face tokenizer's encode adds it),
     * skip empty ones and ones longer than {@code seqlen}, keep the first {@code nsamples} documents, concatenate
     * them and cut the result into as many whole blocks of {@code seqlen} as it holds (the rest is dropped). The
     * number of blocks is therefore usually smaller than {@code nsamples}.
     */
    public static List<int[]> awq(Tokenizer tok, List<String> docs, int nsamples, int seqlen, long seed, boolean bos) {
        checkPositive(nsamples, "--nsamples");
        checkSeqlen(seqlen, bos, tok);
        List<String> order = new ArrayList<>(docs);
        shuffle(order, new SplittableRandom(seed));
        int[] all = new int[0];
        int total = 0, kept = 0, tooLong = 0;
        for (String doc : order) {
            if (kept == nsamples) break;
            String line = doc.strip();
            if (line.isEmpty()) continue;
            int[] ids = tok.encode(line);
            int len = ids.length + (bos ? 1 : 0);
            if (len > seqlen) { tooLong++; continue; }
            if (total + len > all.length) all = Arrays.copyOf(all, Math.max(2 * all.length, total + len));
            if (bos) all[total++] = tok.bosId();
            System.arraycopy(ids, 0, all, total, ids.length);
            total += ids.length;
            kept++;
        }
        int blocks = total / seqlen;
        if (blocks == 0)
            throw new CalqException("calibration text gives " + total + " tokens in " + kept + " usable documents ("
                    + tooLong + " longer than " + seqlen + " tokens skipped); one block needs " + seqlen
                    + ": give more (or shorter) documents or a smaller --seqlen");
        List<int[]> out = new ArrayList<>(blocks);
        for (int b = 0; b < blocks; b++) out.add(Arrays.copyOfRange(all, b * seqlen, (b + 1) * seqlen));
        return out;
    }

    /** llama.cpp chunks of the documents joined by a blank line. */
    public static List<int[]> chunks(Tokenizer tok, List<String> docs, int ctx, int maxChunks, boolean bos) {
        return chunks(tok, String.join("\n\n", docs), ctx, maxChunks, bos);
    }

    /**
     * llama.cpp style (llama-imatrix, llama-perplexity): tokenize the whole text with BOS in front when
     * {@code bos}, cut it into consecutive non-overlapping chunks of {@code ctx} tokens (the tail that does not fill
     * a chunk is dropped), at most {@code maxChunks} of them when that is positive, and put BOS in place of the
     * first token of each chunk when {@code bos}.
     */
    public static List<int[]> chunks(Tokenizer tok, String text, int ctx, int maxChunks, boolean bos) {
        checkSeqlen(ctx, bos, tok);
        int[] ids = tok.encode(text);
        int[] tokens = ids;
        if (bos) {
            tokens = new int[ids.length + 1];
            tokens[0] = tok.bosId();
            System.arraycopy(ids, 0, tokens, 1, ids.length);
        }
        int available = tokens.length / ctx;
        if (available == 0)
            throw new CalqException("calibration text has " + tokens.length + " tokens" + (bos ? " (with BOS)" : "")
                    + "; one chunk of context " + ctx + " needs " + ctx + ": give more text or a smaller context");
        int n = maxChunks > 0 ? Math.min(maxChunks, available) : available;
        List<int[]> out = new ArrayList<>(n);
        for (int c = 0; c < n; c++) {
            int[] chunk = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
            if (bos) chunk[0] = tok.bosId();
            out.add(chunk);
        }
        return out;
    }

    private static int[] window(Tokenizer tok, boolean bos, int[] tokens, int start, int span) {
        int[] w = new int[span + (bos ? 1 : 0)];
        if (bos) w[0] = tok.bosId();
        System.arraycopy(tokens, start, w, bos ? 1 : 0, span);
        return w;
    }

    /** Fisher-Yates from the last element down, drawing with the given generator. */
    private static <T> void shuffle(List<T> list, SplittableRandom rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    private static void checkPositive(int n, String what) {
        if (n <= 0) throw new CalqException(what + " must be positive, got " + n);
    }

    private static void checkSeqlen(int seqlen, boolean bos, Tokenizer tok) {
        if (bos && tok.bosId() < 0) throw new CalqException("the tokenizer has no BOS token: sample without BOS");
        if (seqlen < (bos ? 2 : 1)) throw new CalqException("sequence length " + seqlen + " is too short" + (bos ? " (BOS takes one token)" : ""));
    }
}
