package dev.calq.datasets;

import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.CalqException;
import dev.calq.formats.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.calq.datasets.CodePointTokenizer.BASE;
import static org.junit.jupiter.api.Assertions.*;

class CalibrationSamplerTest {
    private final CodePointTokenizer tok = new CodePointTokenizer();

    @Test
    void gptqWindowsAreRandomSlicesFixedBySeed() {
        String text = CodePointTokenizer.distinct(1000);
        List<int[]> a = CalibrationSampler.gptq(tok, text, 20, 64, 42, true);
        List<int[]> b = CalibrationSampler.gptq(tok, text, 20, 64, 42, true);
        List<int[]> c = CalibrationSampler.gptq(tok, text, 20, 64, 43, true);
        assertEquals(20, a.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i));
        assertFalse(Arrays.equals(starts(a), starts(c)), "another seed gives other windows");
        for (int[] w : a) {
            assertEquals(64, w.length);
            assertEquals(1, w[0]);
            for (int k = 2; k < w.length; k++) assertEquals(w[k - 1] + 1, w[k], "a window is a contiguous slice");
            assertTrue(w[63] - BASE < 1000);
        }
        // SplitMix64 is specified, so these starts hold on every JDK; a change here changes every user's samples.
        assertArrayEquals(new int[]{317, 180, 307, 904, 905}, Arrays.copyOf(starts(a), 5));
    }

    @Test
    void gptqWithoutBosUsesFullWindowsAndCanReachBothEnds() {
        String text = CodePointTokenizer.distinct(70);
        List<int[]> w = CalibrationSampler.gptq(tok, text, 400, 64, 1, false);
        boolean first = false, last = false;
        for (int[] x : w) {
            assertEquals(64, x.length);
            first |= x[0] == BASE;
            last |= x[63] == BASE + 69;
        }
        assertTrue(first && last, "start positions cover 0..len-seqlen inclusive");
    }

    @Test
    void gptqNeedsOneWindowOfText() {
        var e = assertThrows(CalqException.class, () -> CalibrationSampler.gptq(tok, CodePointTokenizer.distinct(50), 4, 64, 0, true));
        assertEquals("calibration text has 50 tokens; a window of 64 needs 63 text tokens after BOS: give more text or a smaller --seqlen", e.getMessage());
        assertThrows(CalqException.class, () -> CalibrationSampler.gptq(tok, "abc", 0, 2, 0, false));
    }

    @Test
    void gptqPerDocumentTakesWindowsInsideLongEnoughDocuments() {
        List<String> docs = List.of("short", CodePointTokenizer.distinct(40), "tiny", CodePointTokenizer.distinct(100).substring(60));
        List<int[]> w = CalibrationSampler.gptqPerDocument(tok, docs, 30, 16, 3, true);
        assertEquals(30, w.size());
        boolean fromFirst = false, fromSecond = false;
        for (int[] x : w) {
            assertEquals(16, x.length);
            assertEquals(1, x[0]);
            for (int k = 2; k < 16; k++) assertEquals(x[k - 1] + 1, x[k], "a window never spans two documents");
            int first = x[1] - BASE, last = x[15] - BASE; // document 1 holds 0..39, document 3 holds 60..99
            assertTrue(last < 40 || first >= 60, "a window lies inside one document");
            fromFirst |= last < 40;
            fromSecond |= first >= 60;
        }
        assertTrue(fromFirst && fromSecond);
        for (int i = 0; i < 30; i++) assertArrayEquals(w.get(i), CalibrationSampler.gptqPerDocument(tok, docs, 30, 16, 3, true).get(i));

        var e = assertThrows(CalqException.class, () -> CalibrationSampler.gptqPerDocument(tok, List.of("abc", "defgh"), 2, 16, 0, false));
        assertEquals("no calibration document has 16 tokens for a window of 16 (the longest has 5): give longer documents or a smaller --seqlen", e.getMessage());
    }

    @Test
    void awqKeepsShortDocumentsInShuffledOrderAndCutsWholeBlocks() {
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < 40; d++) docs.add("  " + "abcdefghijklmnopqrstuvwxyz".substring(0, 1 + d % 26) + (d >= 30 ? "x".repeat(100) : "") + "\n");
        List<int[]> blocks = CalibrationSampler.awq(tok, docs, 25, 16, 42, true);
        List<int[]> again = CalibrationSampler.awq(tok, docs, 25, 16, 42, true);
        List<int[]> other = CalibrationSampler.awq(tok, docs, 25, 16, 7, true);
        assertEquals(blocks.size(), again.size());
        for (int i = 0; i < blocks.size(); i++) assertArrayEquals(blocks.get(i), again.get(i));
        assertFalse(Arrays.equals(blocks.get(0), other.get(0)));

        // Rebuild the stream: BOS + stripped text of each kept document; documents over 16 tokens never appear.
        int[] stream = blocks.stream().flatMapToInt(Arrays::stream).toArray();
        assertEquals(0, stream.length % 16);
        assertEquals(1, stream[0]);
        int docsSeen = 0, total = 0;
        for (int i = 0; i < stream.length; i++) {
            if (stream[i] == 1) {
                docsSeen++;
                int j = i + 1;
                while (j < stream.length && stream[j] != 1) j++;
                int len = j - i;
                if (j < stream.length) assertTrue(len <= 16, "a document longer than the block was kept");
                assertEquals('a', stream[i + 1], "documents are stripped, so each starts with 'a'");
                total += len;
            }
        }
        assertTrue(docsSeen <= 25);
        assertEquals(stream.length, total);
    }

    @Test
    void awqNeedsOneBlock() {
        var e = assertThrows(CalqException.class, () -> CalibrationSampler.awq(tok, List.of("abc", "x".repeat(50), "  "), 8, 16, 0, true));
        assertEquals("calibration text gives 4 tokens in 1 usable documents (1 longer than 16 tokens skipped); one block needs 16: "
                + "give more (or shorter) documents or a smaller --seqlen", e.getMessage());
    }

    @Test
    void chunksAreConsecutiveWithBosInPlaceOfTheFirstToken() {
        String text = CodePointTokenizer.distinct(100);
        List<int[]> c = CalibrationSampler.chunks(tok, text, 32, 0, true);
        assertEquals(3, c.size()); // BOS + 100 tokens = 101 -> 3 chunks of 32, 5 tokens dropped
        for (int k = 0; k < 3; k++) {
            assertEquals(1, c.get(k)[0]);
            for (int i = 1; i < 32; i++) assertEquals(BASE + k * 32 + i - 1, c.get(k)[i]); // position k*32+i of [BOS, text...]
        }
        assertEquals(2, CalibrationSampler.chunks(tok, text, 32, 2, true).size());
        assertEquals(3, CalibrationSampler.chunks(tok, text, 32, 10, true).size()); // as llama.cpp: at most what there is
        List<int[]> noBos = CalibrationSampler.chunks(tok, text, 32, 0, false);
        assertEquals(BASE, noBos.get(0)[0]);
        assertEquals(BASE + 32, noBos.get(1)[0]);
    }

    @Test
    void chunksNeedOneContextOfText() {
        var e = assertThrows(CalqException.class, () -> CalibrationSampler.chunks(tok, "short", 512, 0, true));
        assertEquals("calibration text has 6 tokens (with BOS); one chunk of context 512 needs 512: give more text or a smaller context", e.getMessage());
    }

    @Test
    void sampleDispatchesOnStyle(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var f = dir.resolve("cal.txt");
        Files.writeString(f, "first paragraph\n\nsecond one\n");
        var src = CalibrationSource.parse(f.toString(), null);
        // CHUNKS and GPTQ read the exact file (28 characters); AWQ reads the two paragraphs, and with BOS only
        // "second one" (11 tokens) fits a block of 11.
        assertEquals(7, CalibrationSampler.sample(CalibrationSampler.Style.CHUNKS, tok, src, 0, 4, 0, false).size());
        assertEquals(3, CalibrationSampler.sample(CalibrationSampler.Style.GPTQ, tok, src, 3, 8, 5, true).size());
        List<int[]> awq = CalibrationSampler.sample(CalibrationSampler.Style.AWQ, tok, src, 10, 11, 5, true);
        assertEquals(1, awq.size());
        assertEquals("\u0001second one", tok.decode(awq.get(0)));
    }

    @Test
    void wikiTestRawGives655LlamaCppChunksOf512() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        var t = Tokenizers.load(SharedData.tinyLlama());
        List<int[]> c = CalibrationSampler.chunks(t, Files.readString(SharedData.wikiTest()), 512, 0, t.addBos());
        assertEquals(655, c.size()); // the model README's llama-perplexity chunk count
        // [BOS, " \n" = 259 13, " =" ...]: chunk 0 starts with the text's own BOS; later chunks lose their first token to BOS.
        assertArrayEquals(new int[]{1, 259, 13, 353}, Arrays.copyOf(c.get(0), 4));
        assertEquals(1, c.get(1)[0]);
        assertEquals(512, c.get(654).length);
    }

    private static int[] starts(List<int[]> windows) {
        return windows.stream().mapToInt(w -> w[1] - BASE).toArray();
    }
}
