package dev.calq.datasets.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

/** The Llama-2 tokenizer.model against ids written by SentencePiece itself and by transformers. */
class SentencePieceTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SentencePieceTokenizer tok;
    private static JsonNode golden;

    @BeforeAll
    static void load() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        tok = SentencePieceTokenizer.load(SharedData.tinyLlama().resolve("tokenizer.model"));
        golden = JSON.readTree(SentencePieceTokenizerTest.class.getResource("/tokenizer/llama2-sentencepiece-golden.json"));
    }

    @Test
    void matchesTheReferenceLogitsInputIds() throws Exception {
        JsonNode ref = JSON.readTree(SharedData.tinyLlama().resolve("reference_logits.json").toFile());
        assertEquals(2, ref.path("prompts").size());
        for (JsonNode p : ref.path("prompts")) {
            int[] expected = JSON.treeToValue(p.path("input_ids"), int[].class);
            assertEquals(1, expected[0]);
            assertTrue(tok.addBos());
            assertArrayEquals(expected, withBos(tok.encode(p.path("prompt").asText())), p.path("prompt").asText());
        }
    }

    @Test
    void matchesSentencePieceOnTrickyStrings() throws Exception {
        for (JsonNode c : golden.path("cases")) {
            String text = c.path("text").asText();
            assertArrayEquals(JSON.treeToValue(c.path("ids"), int[].class), tok.encode(text), () -> "text: [" + text + "]");
        }
    }

    @Test
    void spaceNewlineIsTwoSpacePieceThenNewlineByte() {
        // SentencePiece merges the dummy prefix and the space into "▁▁" (259); the converted tokenizer.json gives 29871.
        assertArrayEquals(new int[]{259, 13}, tok.encode(" \n"));
    }

    @Test
    void wikiTestRawIs335688TokensWithBosAndIdenticalToSentencePiece() throws Exception {
        int[] ids = tok.encode(Files.readString(SharedData.wikiTest()));
        assertEquals(335_688, ids.length + 1); // the model README's count, BOS included
        assertFile("wiki.test.raw", ids);
    }

    @Test
    void calibrationTextIsIdenticalToSentencePiece() throws Exception {
        assertFile("calibration-en.txt", tok.encode(Files.readString(SharedData.calibrationText())));
    }

    @Test
    void decodeInvertsEncode() throws Exception {
        for (JsonNode c : golden.path("cases")) {
            String text = c.path("text").asText();
            if (text.indexOf('\u2581') >= 0) continue; // a literal U+2581 decodes as a space, as in SentencePiece
            assertEquals(text, tok.decode(tok.encode(text)));
        }
        assertEquals("Hello", tok.decode(new int[]{1, 15043, 2})); // BOS/EOS are left out
        String cal = Files.readString(SharedData.calibrationText());
        assertEquals(cal, tok.decode(tok.encode(cal)));
    }

    @Test
    void specialIdsAndVocabulary() {
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.eosId());
        assertEquals(32000, tok.vocabSize());
        assertArrayEquals(new int[0], tok.encode(""));
    }

    private static void assertFile(String name, int[] ids) {
        for (JsonNode f : golden.path("files")) {
            if (!f.path("file").asText().equals(name)) continue;
            assertEquals(f.path("tokens").asInt(), ids.length, name);
            assertEquals(f.path("crc32").asLong(), crc(ids), name + " ids differ from SentencePiece's");
            return;
        }
        fail("no golden entry for " + name);
    }

    private static long crc(int[] ids) {
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) b.putInt(id);
        CRC32 c = new CRC32();
        c.update(b.array());
        return c.getValue();
    }

    static int[] withBos(int[] ids) {
        int[] r = new int[ids.length + 1];
        r[0] = 1;
        System.arraycopy(ids, 0, r, 1, ids.length);
        return r;
    }
}
