package dev.calq.datasets.tokenizer;

import dev.calq.formats.tokenizer.Piece;
import dev.calq.formats.tokenizer.SentencePieceModelFile;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The fast BPE encoder against a plain quadratic BPE on random vocabularies (with tied scores) and texts. */
class SentencePieceBpeTest {
    private static final String ALPHABET = "\u2581abcé\n"; // 'd', 'x' and '😀' are left out of the vocabulary

    @Test
    void agreesWithPlainBpeOnRandomVocabulariesAndTexts() {
        var rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 40; trial++) {
            boolean newlineMerges = trial % 2 == 0; // odd trials: '\n' splits the text into independent parts
            SentencePieceModelFile model = randomModel(rnd, newlineMerges);
            var tok = new SentencePieceTokenizer(model, 1, 2, true);
            for (int t = 0; t < 30; t++) {
                String text = randomText(rnd, 1 + rnd.nextInt(120));
                assertArrayEquals(plainBpe(model, text), tok.encode(text), () -> "text [" + text + "]");
            }
        }
    }

    @Test
    void tiesGoToTheLeftmostPair() {
        // "aaa": "aa" can be made at 0 or 1; the leftmost merge wins, leaving "aa" + "a".
        var m = model(List.of(p("\u2581", -5), p("a", -5), p("aa", -1), p("\u2581a", -1)), false);
        var tok = new SentencePieceTokenizer(m, 1, 2, true);
        // normalised "▁aaa": pairs ▁a (0) and aa (1), (2) tie at -1; the leftmost (▁a) goes first, then "aa".
        assertArrayEquals(new int[]{id(m, "\u2581a"), id(m, "aa")}, tok.encode("aaa"));
    }

    @Test
    void bytesFallBackForUnknownCharacters() {
        var m = model(List.of(p("\u2581", -5), p("a", -5)), false);
        var tok = new SentencePieceTokenizer(m, 1, 2, true);
        byte[] utf8 = "é".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(new int[]{id(m, "\u2581"), 3 + (utf8[0] & 0xFF), 3 + (utf8[1] & 0xFF), id(m, "a")}, tok.encode("éa"));
        assertEquals("éa", tok.decode(tok.encode("éa")));
    }

    @Test
    void userDefinedPiecesStayWhole() {
        var pieces = new ArrayList<>(List.of(p("\u2581", -5), p("a", -5), p("b", -5), p("a<", -1), p("\u2581a", -2)));
        pieces.add(new Piece("<x>", 0, Piece.Type.USER_DEFINED));
        var m = model(pieces, false);
        var tok = new SentencePieceTokenizer(m, 1, 2, true);
        assertArrayEquals(new int[]{id(m, "\u2581a"), id(m, "<x>"), id(m, "b")}, tok.encode("a<x>b"));
    }

    @Test
    void unusedPiecesAreSplitAgain() {
        var pieces = new ArrayList<>(List.of(p("\u2581", -5), p("a", -5), p("b", -5), p("c", -5), p("abc", -2)));
        pieces.add(new Piece("ab", -1, Piece.Type.UNUSED));
        var m = model(pieces, false);
        var tok = new SentencePieceTokenizer(m, 1, 2, true);
        assertArrayEquals(new int[]{id(m, "\u2581"), id(m, "a"), id(m, "b")}, tok.encode("ab"));
        assertArrayEquals(new int[]{id(m, "\u2581"), id(m, "abc")}, tok.encode("abc"));
    }

    @Test
    void removeExtraWhitespacesCollapsesSpaces() {
        var base = model(List.of(p("\u2581", -5), p("a", -5), p("b", -5)), false);
        var m = new SentencePieceModelFile(base.pieces(), SentencePieceModelFile.ModelType.BPE, "nmt_nfkc", true, true, true,
                false, true, 0, 1, 2, -1);
        var tok = new SentencePieceTokenizer(m, 1, 2, true);
        int sp = id(m, "\u2581"), a = id(m, "a"), b = id(m, "b");
        assertArrayEquals(new int[]{sp, a, sp, b}, tok.encode("   a    b  "));
        assertArrayEquals(new int[0], tok.encode("    "));
    }

    @Test
    void rejectsUnigramModels() {
        var base = model(List.of(p("a", -1)), false);
        var m = new SentencePieceModelFile(base.pieces(), SentencePieceModelFile.ModelType.UNIGRAM, "", true, false, true,
                false, true, 0, 1, 2, -1);
        var e = assertThrows(dev.calq.formats.CalqException.class, () -> new SentencePieceTokenizer(m, 1, 2, true));
        assertTrue(e.getMessage().contains("UNIGRAM"), e.getMessage());
    }

    // ---- the plain reference: repeatedly merge the best-scoring adjacent pair (leftmost on ties) ----

    private static int[] plainBpe(SentencePieceModelFile m, String text) {
        Map<String, Integer> mergeable = new HashMap<>();
        for (int i = 0; i < m.vocabSize(); i++) {
            Piece.Type t = m.piece(i).type();
            if (t == Piece.Type.NORMAL || t == Piece.Type.USER_DEFINED || t == Piece.Type.UNUSED) mergeable.putIfAbsent(m.piece(i).text(), i);
        }
        List<String> syms = new ArrayList<>();
        if (!text.isEmpty()) {
            String norm = "\u2581" + text.replace(' ', '\u2581');
            norm.codePoints().forEach(cp -> syms.add(Character.toString(cp)));
        }
        while (true) {
            int best = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int i = 0; i + 1 < syms.size(); i++) {
                Integer id = mergeable.get(syms.get(i) + syms.get(i + 1));
                if (id != null && (best < 0 || m.piece(id).score() > bestScore)) { best = i; bestScore = m.piece(id).score(); }
            }
            if (best < 0) break;
            syms.set(best, syms.get(best) + syms.remove(best + 1));
        }
        List<Integer> out = new ArrayList<>();
        for (String s : syms) {
            Integer id = mergeable.get(s);
            if (id != null) out.add(id);
            else for (byte b : s.getBytes(StandardCharsets.UTF_8)) out.add(3 + (b & 0xFF));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static SentencePieceModelFile randomModel(SplittableRandom rnd, boolean newlineMerges) {
        Map<String, Piece> pieces = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ALPHABET.length(); i++) {
            String c = ALPHABET.substring(i, i + 1);
            if (c.equals("\n")) continue; // the newline is never a piece of its own (bytes, as in Llama)
            pieces.put(c, p(c, -1000));
        }
        int n = 20 + rnd.nextInt(60);
        while (pieces.size() < n) {
            StringBuilder sb = new StringBuilder();
            int len = 2 + rnd.nextInt(4);
            for (int k = 0; k < len; k++) sb.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
            String s = sb.toString();
            if (!newlineMerges && s.indexOf('\n') >= 0) continue;
            pieces.putIfAbsent(s, p(s, -rnd.nextInt(8))); // few distinct scores: many ties
        }
        return model(new ArrayList<>(pieces.values()), false);
    }

    private static String randomText(SplittableRandom rnd, int len) {
        String chars = ALPHABET + "  dx\n😀";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            int at = rnd.nextInt(chars.length());
            if (Character.isSurrogate(chars.charAt(at))) sb.append("😀");
            else sb.append(chars.charAt(at));
        }
        return sb.toString();
    }

    /** <unk>, <s>, </s>, the 256 byte pieces, then {@code normal}. */
    static SentencePieceModelFile model(List<Piece> normal, boolean removeExtraWhitespaces) {
        List<Piece> all = new ArrayList<>();
        all.add(new Piece("<unk>", 0, Piece.Type.UNKNOWN));
        all.add(new Piece("<s>", 0, Piece.Type.CONTROL));
        all.add(new Piece("</s>", 0, Piece.Type.CONTROL));
        for (int b = 0; b < 256; b++) all.add(new Piece("<0x%02X>".formatted(b), 0, Piece.Type.BYTE));
        all.addAll(normal);
        return new SentencePieceModelFile(all, SentencePieceModelFile.ModelType.BPE, "identity", true, removeExtraWhitespaces, true,
                false, true, 0, 1, 2, -1);
    }

    private static Piece p(String text, float score) { return new Piece(text, score, Piece.Type.NORMAL); }

    private static int id(SentencePieceModelFile m, String text) {
        for (int i = 0; i < m.vocabSize(); i++) if (m.piece(i).text().equals(text)) return i;
        throw new AssertionError(text);
    }
}
