package dev.calq.datasets.tokenizer;

import dev.calq.formats.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** tokenizer.json through DJL (bundled native library, offline), checked against SentencePiece on the same model. */
class HfTokenizerTest {
    private static HfTokenizer hf;
    private static SentencePieceTokenizer sp;

    @BeforeAll
    static void load() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        hf = HfTokenizer.load(SharedData.tinyLlama().resolve("tokenizer.json"), 1, 2, true, 32000);
        sp = SentencePieceTokenizer.load(SharedData.tinyLlama().resolve("tokenizer.model"));
    }

    @AfterAll
    static void close() { if (hf != null) hf.close(); }

    @Test
    void agreesWithSentencePieceOnOrdinaryText() throws Exception {
        String[] sentences = {
                "The capital of France is",
                "Once upon a time, there was a little girl who lived in a village near the forest.",
                "Quantization reduces the memory footprint of large language models by 4x.",
                "He said: \"It's 3:45 p.m., isn't it?\" — and left.",
                "naïve café résumé, 给 中文",
        };
        for (String s : sentences) assertArrayEquals(sp.encode(s), hf.encode(s), s);
        // Every paragraph of the calibration text without runs of spaces (a few hundred of them).
        int checked = 0;
        for (String para : Files.readString(SharedData.calibrationText()).split("\n\n")) {
            if (para.contains("  ") || para.isBlank()) continue;
            assertArrayEquals(sp.encode(para), hf.encode(para), para);
            checked++;
        }
        assertTrue(checked > 100, "only " + checked + " paragraphs checked");
    }

    @Test
    void knownDiscrepancyOnSpaceRuns() {
        // The model README: tokenizer.json converted from SentencePiece splits " \n" as "▁" + newline.
        assertArrayEquals(new int[]{29871, 13}, hf.encode(" \n"));
        assertArrayEquals(new int[]{259, 13}, sp.encode(" \n"));
    }

    @Test
    void neverTruncatesAndAddsNoSpecialTokens() {
        int[] ids = hf.encode("word ".repeat(3000));
        assertEquals(3001, ids.length); // "▁word" x 3000, then the trailing "▁"
        assertTrue(Arrays.stream(ids).noneMatch(id -> id == 1 || id == 2));
    }

    @Test
    void decodeRoundTrip() {
        String s = "Quantization reduces the memory footprint, naïve café 给.";
        assertEquals(s, hf.decode(hf.encode(s)));
    }
}
