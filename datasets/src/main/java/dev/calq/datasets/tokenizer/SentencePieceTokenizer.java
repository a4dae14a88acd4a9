package dev.calq.datasets.tokenizer;

import dev.calq.formats.CalqException;
import dev.calq.formats.tokenizer.Piece;
import dev.calq.formats.tokenizer.SentencePieceModelFile;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes text exactly as SentencePiece's BPE model does (and as llama.cpp's SPM tokenizer reproduces), from the
 * pieces and scores of a {@code tokenizer.model}.
 *
 * <p>Normalisation: optional removal of extra spaces, spaces become U+2581, and a U+2581 "dummy prefix" goes in
 * front of non-empty text. No precompiled character map is applied (Llama-2 and Mistral use the identity
 * normaliser; llama.cpp ignores the map too). Segmentation: every character (or longest user-defined piece) starts
 * as a symbol; repeatedly the adjacent pair whose concatenation is a vocabulary piece with the highest score is
 * merged, the leftmost among equal scores. Symbols that are not pieces become their UTF-8 bytes as
 * {@code <0xXX>} pieces when the model has byte fallback, else the unknown id.
 *
 * <p>Speed: symbols are ints (a piece id, or -(codepoint+2) for a character that is not a piece), pairs are found
 * in a precomputed (left, right) -> merged-piece table, and the agenda is a heap of longs packing (score, left
 * position). An agenda entry is not invalidated when its symbols change: on pop the pair now at that position is
 * looked up again, and merged only if it still has the popped score (an entry with that exact priority is then
 * in the agenda anyway, so the outcome is the same as SentencePiece's).
 *
 * <p>Immutable after construction; {@link #encode} and {@link #decode} may be called from several threads.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private static final int SPACE_SYMBOL = 0x2581;
    private static final int DEAD = Integer.MIN_VALUE;

    private final SentencePieceModelFile model;
    private final int bosId, eosId;
    private final boolean addBos;
    private final Piece.Type[] types;
    private final float[] scores;
    private final int[] bmpCharIds = new int[65536];
    private final Map<Integer, Integer> otherCharIds = new HashMap<>();
    private final Map<Integer, Integer> reservedCharIds = new HashMap<>();
    private final Map<Integer, List<int[]>> userDefinedByFirstChar = new HashMap<>();
    private final int[] userDefinedIds;
    private final LongIntMap pairs;
    private final int[] byteIds = new int[256];
    private final int[] byteValues;
    /** The code point of each single-character piece, else -1. */
    private final int[] singleCharOf;
    /** Characters that occur in some mergeable piece of two or more characters (others never merge). */
    private final boolean[] joinableBmp = new boolean[65536];
    private final java.util.Set<Integer> joinableOther = new java.util.HashSet<>();

    /**
     * A tokenizer for a BPE SentencePiece model; {@code bosId}/{@code eosId}/{@code addBos} usually come from
     * tokenizer_config.json (see {@link Tokenizers}) and default to the model file's own ids.
     */
    public SentencePieceTokenizer(SentencePieceModelFile model, int bosId, int eosId, boolean addBos) {
        this(model, bosId, eosId, addBos, "tokenizer.model");
    }

    /** As above; {@code origin} names where the pieces came from in error messages (a file, or a GGUF's key). */
    public SentencePieceTokenizer(SentencePieceModelFile model, int bosId, int eosId, boolean addBos, String origin) {
        if (model.modelType() != SentencePieceModelFile.ModelType.BPE)
            throw new CalqException(origin + ": SentencePiece model type " + model.modelType() + " is not supported (only BPE)");
        this.model = model;
        this.bosId = bosId;
        this.eosId = eosId;
        this.addBos = addBos;
        int n = model.vocabSize();
        types = new Piece.Type[n];
        scores = new float[n];
        byteValues = new int[n];
        singleCharOf = new int[n];
        Arrays.fill(singleCharOf, -1);
        Arrays.fill(bmpCharIds, -1);
        Arrays.fill(byteIds, -1);
        Arrays.fill(byteValues, -1);

        // The merge lookup table holds NORMAL, USER_DEFINED and UNUSED pieces only (as SentencePiece's pieces_);
        // control, unknown and byte pieces are never the result of a merge.
        Map<String, Integer> mergeable = new HashMap<>(n * 2);
        List<Integer> userDefined = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            Piece p = model.piece(id);
            types[id] = p.type();
            scores[id] = p.score() + 0.0f; // -0.0 and 0.0 must tie, as they do in a float comparison
            switch (p.type()) {
                case NORMAL, USER_DEFINED, UNUSED -> {
                    mergeable.putIfAbsent(p.text(), id);
                    if (p.text().codePointCount(0, p.text().length()) == 1) {
                        setCharId(p.text().codePointAt(0), id);
                        singleCharOf[id] = p.text().codePointAt(0);
                    } else {
                        p.text().codePoints().forEach(cp -> { if (cp < 65536) joinableBmp[cp] = true; else joinableOther.add(cp); });
                    }
                    if (p.type() == Piece.Type.USER_DEFINED) userDefined.add(id);
                }
                case BYTE -> {
                    int b = parseByte(p.text());
                    if (b >= 0) { byteIds[b] = id; byteValues[id] = b; }
                }
                default -> {
                    if (p.text().codePointCount(0, p.text().length()) == 1) reservedCharIds.putIfAbsent(p.text().codePointAt(0), id);
                }
            }
        }
        if (model.byteFallback()) {
            for (int b = 0; b < 256; b++)
                if (byteIds[b] < 0) throw new CalqException(origin + ": byte_fallback is set but piece <0x%02X> is missing".formatted(b));
        }
        userDefinedIds = userDefined.stream().mapToInt(Integer::intValue).toArray();
        for (int id : userDefinedIds) {
            int[] cps = model.piece(id).text().codePoints().toArray();
            userDefinedByFirstChar.computeIfAbsent(cps[0], k -> new ArrayList<>()).add(append(cps, id));
        }
        for (List<int[]> l : userDefinedByFirstChar.values()) l.sort(Comparator.comparingInt((int[] a) -> a.length).reversed());

        // Every way a mergeable piece splits into two symbols: (left code, right code) -> piece id. The halves are
        // looked up by rolling hash (checked against the text on a hit), so one very long piece costs its length,
        // not its length squared in substrings.
        pairs = new LongIntMap(n * 8);
        Map<Long, List<String>> byHash = new HashMap<>(mergeable.size() * 2);
        for (String text : mergeable.keySet()) byHash.computeIfAbsent(hash(text, 0, text.length()), k -> new ArrayList<>(1)).add(text);
        for (var e : mergeable.entrySet()) {
            String text = e.getKey();
            int len = text.length();
            long[] prefix = new long[len + 1], power = new long[len + 1];
            power[0] = 1;
            for (int i = 0; i < len; i++) {
                prefix[i + 1] = prefix[i] * HASH_BASE + text.charAt(i);
                power[i + 1] = power[i] * HASH_BASE;
            }
            for (int off = text.offsetByCodePoints(0, 1); off < len; off = text.offsetByCodePoints(off, 1)) {
                int left = symbolCode(text, 0, off, prefix[off], byHash, mergeable);
                if (left == DEAD) continue;
                int right = symbolCode(text, off, len, prefix[len] - prefix[off] * power[len - off], byHash, mergeable);
                if (right != DEAD) pairs.put(pairKey(left, right), e.getValue());
            }
        }
    }

    private static final long HASH_BASE = 1_000_003L;

    /** Polynomial hash of text[from, to) over UTF-16 units, modulo 2^64; equal to the rolling hash used above. */
    private static long hash(String text, int from, int to) {
        long h = 0;
        for (int i = from; i < to; i++) h = h * HASH_BASE + text.charAt(i);
        return h;
    }

    /** Loads a tokenizer.model with the model file's own BOS/EOS ids, adding BOS (the Llama convention). */
    public static SentencePieceTokenizer load(Path tokenizerModel) {
        SentencePieceModelFile m = SentencePieceModelFile.read(tokenizerModel);
        if (m.modelType() != SentencePieceModelFile.ModelType.BPE)
            throw CalqException.file(tokenizerModel, "SentencePiece model type " + m.modelType() + " is not supported (only BPE)");
        return new SentencePieceTokenizer(m, m.bosId(), m.eosId(), true);
    }

    public SentencePieceModelFile model() { return model; }

    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public boolean addBos() { return addBos; }
    @Override public int vocabSize() { return model.vocabSize(); }

    @Override
    public int[] encode(String text) {
        int[] chars = normalize(text);
        int n = chars.length;
        if (n == 0) return new int[0];
        int[] code = new int[n], prev = new int[n], next = new int[n];
        boolean[] frozen = userDefinedIds.length == 0 ? null : new boolean[n];
        int count = 0;
        for (int i = 0; i < n; ) {
            int[] ud = frozen == null ? null : matchUserDefined(chars, i);
            if (ud != null) {
                code[count] = ud[ud.length - 1];
                frozen[count] = true;
                i += ud.length - 1;
            } else {
                code[count] = charCode(chars[i]);
                i++;
            }
            prev[count] = count - 1;
            next[count] = count + 1;
            count++;
        }
        next[count - 1] = -1;

        // A symbol that no merge can touch splits the text into parts that are merged independently; the result is
        // the same as one agenda over the whole text (a part's merges never depend on another part), but the agenda
        // stays small and cache-resident. In practice the parts are lines: no Llama piece contains a newline.
        Map<Integer, Long> revMerge = new HashMap<>();
        LongMinHeap agenda = new LongMinHeap(256);
        for (int start = 0; start < count; ) {
            int end = start;
            while (end < count && !isBarrier(code[end], frozen, end)) end++;
            if (end > start) mergeRange(start, end, code, prev, next, frozen, revMerge, agenda);
            start = Math.max(end, start + 1);
        }
        IntList out = new IntList(count);
        for (int i = 0; i >= 0; i = next[i]) emit(code[i], revMerge, out);
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : ids) {
            if (id < 0 || id >= types.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + types.length);
            if (types[id] == Piece.Type.BYTE) {
                bytes.write(byteValues[id]);
                first = false;
                continue;
            }
            flush(bytes, sb);
            switch (types[id]) {
                case CONTROL -> { }
                case UNKNOWN -> { sb.append(" \u2047 "); first = false; }
                default -> {
                    String t = model.piece(id).text();
                    // SentencePiece drops the dummy prefix from the first piece only.
                    if (first && model.addDummyPrefix() && !model.treatWhitespaceAsSuffix() && t.codePointAt(0) == SPACE_SYMBOL) t = t.substring(1);
                    sb.append(t.replace('\u2581', ' '));
                    first = false;
                }
            }
        }
        flush(bytes, sb);
        return sb.toString();
    }

    /** Runs the BPE merges on symbols [start, end), which no merge outside can reach. */
    private void mergeRange(int start, int end, int[] code, int[] prev, int[] next, boolean[] frozen,
                            Map<Integer, Long> revMerge, LongMinHeap agenda) {
        agenda.clear();
        for (int i = start + 1; i < end; i++) offer(agenda, code, frozen, revMerge, i - 1, i);
        while (!agenda.isEmpty()) {
            long entry = agenda.pop();
            int left = (int) entry;
            if (code[left] == DEAD) continue;
            int right = next[left];
            if (right < 0 || right >= end || (frozen != null && (frozen[left] || frozen[right]))) continue;
            int merged = pairs.get(pairKey(code[left], code[right]));
            if (merged < 0 || priority(merged) != (int) (entry >>> 32)) continue;
            code[left] = merged;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            code[right] = DEAD;
            if (prev[left] >= start) offer(agenda, code, frozen, revMerge, prev[left], left);
            if (next[left] >= 0 && next[left] < end) offer(agenda, code, frozen, revMerge, left, next[left]);
        }
    }

    /** True for a symbol that can never be part of a merge: frozen, or a character found in no multi-character piece. */
    private boolean isBarrier(int c, boolean[] frozen, int i) {
        if (frozen != null && frozen[i]) return true;
        int cp = c >= 0 ? singleCharOf[c] : -c - 2;
        if (cp < 0) return false;
        return cp < 65536 ? !joinableBmp[cp] : !joinableOther.contains(cp);
    }

    /** SentencePiece's normalisation for the identity normaliser, as code points. */
    private int[] normalize(String text) {
        int[] cps = text.codePoints().toArray();
        if (model.removeExtraWhitespaces()) cps = collapseSpaces(cps);
        if (cps.length == 0) return cps;
        boolean prefix = model.addDummyPrefix() && !model.treatWhitespaceAsSuffix();
        boolean suffix = model.addDummyPrefix() && model.treatWhitespaceAsSuffix();
        int[] out = new int[cps.length + (prefix || suffix ? 1 : 0)];
        int j = 0;
        if (prefix) out[j++] = SPACE_SYMBOL;
        for (int cp : cps) out[j++] = model.escapeWhitespaces() && cp == ' ' ? SPACE_SYMBOL : cp;
        if (suffix) out[j] = SPACE_SYMBOL;
        return out;
    }

    /** Drops leading and trailing spaces and turns each run of spaces into one (remove_extra_whitespaces). */
    private static int[] collapseSpaces(int[] cps) {
        int[] out = new int[cps.length];
        int j = 0;
        boolean pendingSpace = false;
        for (int cp : cps) {
            if (cp == ' ') { pendingSpace = j > 0; continue; }
            if (pendingSpace) out[j++] = ' ';
            pendingSpace = false;
            out[j++] = cp;
        }
        return Arrays.copyOf(out, j);
    }

    private void offer(LongMinHeap agenda, int[] code, boolean[] frozen, Map<Integer, Long> revMerge, int left, int right) {
        if (left < 0 || right < 0 || (frozen != null && (frozen[left] || frozen[right]))) return;
        long key = pairKey(code[left], code[right]);
        int merged = pairs.get(key);
        if (merged < 0) return;
        agenda.push((long) priority(merged) << 32 | left);
        if (types[merged] == Piece.Type.UNUSED) revMerge.put(merged, key); // how to split it again at the end
    }

    /** Higher score first, so a smaller number for a higher score: the float's order-preserving int bits, inverted. */
    private int priority(int pieceId) {
        int bits = Float.floatToIntBits(scores[pieceId]);
        return ~(bits ^ ((bits >> 31) & 0x7FFFFFFF));
    }

    private void emit(int c, Map<Integer, Long> revMerge, IntList out) {
        if (c >= 0) {
            Long split = types[c] == Piece.Type.UNUSED ? revMerge.get(c) : null;
            if (split == null) { out.add(c); return; }
            emit((int) (split >> 32), revMerge, out);
            emit((int) (long) split, revMerge, out);
            return;
        }
        int cp = -c - 2;
        Integer reserved = reservedCharIds.get(cp);
        if (reserved != null) { out.add(reserved); return; }
        if (!model.byteFallback()) { out.add(model.unkId()); return; }
        for (byte b : utf8(cp)) out.add(byteIds[b & 0xFF]);
    }

    private int[] matchUserDefined(int[] chars, int at) {
        List<int[]> candidates = userDefinedByFirstChar.get(chars[at]);
        if (candidates == null) return null;
        outer:
        for (int[] c : candidates) { // longest first; the last element is the piece id
            int len = c.length - 1;
            if (at + len > chars.length) continue;
            for (int k = 1; k < len; k++) if (chars[at + k] != c[k]) continue outer;
            return c;
        }
        return null;
    }

    private void setCharId(int cp, int id) {
        if (cp < 65536) { if (bmpCharIds[cp] < 0) bmpCharIds[cp] = id; }
        else otherCharIds.putIfAbsent(cp, id);
    }

    private int charCode(int cp) {
        int id = cp < 65536 ? bmpCharIds[cp] : otherCharIds.getOrDefault(cp, -1);
        return id >= 0 ? id : -cp - 2;
    }

    /**
     * The symbol code of the piece half text[from, to) whose hash is {@code h}: its id when it is a mergeable piece, a
     * character code when it is one character, else DEAD.
     */
    private static int symbolCode(String text, int from, int to, long h, Map<Long, List<String>> byHash, Map<String, Integer> mergeable) {
        List<String> candidates = byHash.get(h);
        if (candidates != null) {
            for (String c : candidates)
                if (c.length() == to - from && text.regionMatches(from, c, 0, c.length())) return mergeable.get(c);
        }
        return text.offsetByCodePoints(from, 1) == to ? -text.codePointAt(from) - 2 : DEAD;
    }

    private static long pairKey(int left, int right) { return (long) left << 32 | (right & 0xFFFFFFFFL); }

    private static int[] append(int[] a, int v) {
        int[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        return r;
    }

    /** "<0x41>" -> 0x41, or -1 when the text is not a byte piece. */
    private static int parseByte(String text) {
        if (text.length() != 6 || !text.startsWith("<0x") || text.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(text.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** UTF-8 of one code point; a lone surrogate is written as its three-byte form, as it came. */
    private static byte[] utf8(int cp) {
        if (cp < 0x80) return new byte[]{(byte) cp};
        if (cp < 0x800) return new byte[]{(byte) (0xC0 | cp >> 6), (byte) (0x80 | cp & 0x3F)};
        if (cp < 0x10000) return new byte[]{(byte) (0xE0 | cp >> 12), (byte) (0x80 | cp >> 6 & 0x3F), (byte) (0x80 | cp & 0x3F)};
        return new byte[]{(byte) (0xF0 | cp >> 18), (byte) (0x80 | cp >> 12 & 0x3F), (byte) (0x80 | cp >> 6 & 0x3F), (byte) (0x80 | cp & 0x3F)};
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder sb) {
        if (bytes.size() == 0) return;
        sb.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
        bytes.reset();
    }
}
