package dev.calq.datasets.tokenizer;

import dev.calq.formats.CalqException;
import dev.calq.formats.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class TokenizersTest {
    @TempDir Path dir;

    @Test
    void folderWithoutTokenizerIsAClearError() {
        var e = assertThrows(CalqException.class, () -> Tokenizers.load(dir));
        assertEquals(dir + ": no tokenizer.json or tokenizer.model", e.getMessage());
    }

    @Test
    void prefersSentencePieceAndReadsSpecialIds() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Tokenizer t = Tokenizers.load(SharedData.tinyLlama());
        assertInstanceOf(SentencePieceTokenizer.class, t);
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertTrue(t.addBos());
        assertEquals(32000, t.vocabSize());
    }

    @Test
    void fallsBackToTokenizerJsonWithBosFromTheTemplate() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Files.copy(SharedData.tinyLlama().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Tokenizer t = Tokenizers.load(dir);
        assertInstanceOf(HfTokenizer.class, t);
        assertEquals(1, t.bosId()); // no config at all: "<s>" leads the TemplateProcessing post-processor
        assertTrue(t.addBos());
        assertEquals(-1, t.eosId());
        assertEquals(32000, t.vocabSize());
        assertArrayEquals(new int[]{450, 7483, 310, 3444, 338}, t.encode("The capital of France is"));
    }

    @Test
    void honoursTokenizerConfig() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Files.copy(SharedData.tinyLlama().resolve("tokenizer.model"), dir.resolve("tokenizer.model"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"add_bos_token\": false, \"bos_token\": {\"content\": \"</s>\"}, \"eos_token\": \"<unk>\"}");
        Tokenizer t = Tokenizers.load(dir);
        assertFalse(t.addBos());
        assertEquals(2, t.bosId());
        assertEquals(0, t.eosId());

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<nope>\"}");
        var e = assertThrows(CalqException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().endsWith("tokenizer_config.json: eos_token \"<nope>\" is not in the vocabulary"), e.getMessage());

        Files.writeString(dir.resolve("tokenizer_config.json"), "{not json");
        assertThrows(CalqException.class, () -> Tokenizers.load(dir));
    }

    @Test
    void explicitChoiceOfTokenizerFile() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        assertInstanceOf(HfTokenizer.class, Tokenizers.load(SharedData.tinyLlama(), Tokenizers.Choice.HUGGINGFACE));
        Files.copy(SharedData.tinyLlama().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        var e = assertThrows(CalqException.class, () -> Tokenizers.load(dir, Tokenizers.Choice.SENTENCEPIECE));
        assertEquals(dir + ": no tokenizer.model", e.getMessage());
    }
}
