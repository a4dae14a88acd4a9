package dev.calq.datasets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A byte-level BPE GGUF's tokenizer.ggml.* metadata, rebuilt, tokenizes as the tokenizer.json it came from. */
class GgufByteLevelBpeTest {
    @TempDir Path dir;

    static final TinyByteLevelBpe TINY = new TinyByteLevelBpe(
            List.of("Ġ t", "h e", "Ġt he", "i n", "Ġ a", "n d", "Ġa nd", "1 2", "12 3", "' l", "'l l", "Ġ Ġ", "Ċ Ċ"),
            List.of("Ġcat", "Ġdog"));
    static final String[] TEXTS = {
            "The theory and the cat", "the dog and the cat's 123456 7 1234", "I'll say they're here, WE'LL see",
            "naïve café 中文 🚀 😶\u200d🌫️", "line\n\n  spaces   end \t\t", "special <|end_of_text|> in the text", "",
    };

    @Test
    void sameIdsAsTheTokenizerJsonItWasConvertedFrom() throws Exception {
        for (boolean ignoreMerges : new boolean[] {true, false}) {
            Path json = TINY.writeTokenizerJson(dir.resolve("im-" + ignoreMerges), true, ignoreMerges);
            Path gguf = TINY.writeGguf(dir.resolve("im-" + ignoreMerges + ".gguf"), ignoreMerges ? "llama-bpe" : "smaug-bpe", null);
            try (HfTokenizer original = HfTokenizer.load(json, TINY.bos, TINY.eos, true, TINY.tokens.size())) {
                Tokenizer rebuilt = Tokenizers.load(gguf);
                for (String t : TEXTS) assertArrayEquals(original.encode(t), rebuilt.encode(t), ignoreMerges + ": " + t);
                assertEquals(TINY.bos, rebuilt.bosId());
                assertEquals(TINY.eos, rebuilt.eosId());
                assertEquals(TINY.tokens.size(), rebuilt.vocabSize());
                assertEquals("the dog and the cat", rebuilt.decode(rebuilt.encode("the dog and the cat")));
            }
        }
    }

    @Test
    void thePreNameDecidesIgnoreMergesAndTheDefaultBos() {
        int cat = TINY.tokens.indexOf("Ġcat");
        Tokenizer llama3 = Tokenizers.load(TINY.writeGguf(dir.resolve("l.gguf"), "llama-bpe", null));
        Tokenizer smaug = Tokenizers.load(TINY.writeGguf(dir.resolve("s.gguf"), "smaug-bpe", null));
        assertArrayEquals(new int[] {TINY.tokens.indexOf("Ġthe"), cat}, llama3.encode(" the cat")); // whole word found in the vocabulary
        assertNotEquals(cat, smaug.encode(" the cat")[1]); // no merge reaches "Ġcat": its four byte symbols
        assertEquals(5, smaug.encode(" the cat").length);
        assertTrue(llama3.addBos()); // llama.cpp adds BOS for llama-bpe when the file does not say
        assertFalse(smaug.addBos());
        assertFalse(Tokenizers.load(TINY.writeGguf(dir.resolve("l0.gguf"), "llama-bpe", false)).addBos());
        assertTrue(Tokenizers.load(TINY.writeGguf(dir.resolve("s1.gguf"), "smaug-bpe", true)).addBos());
        // gpt-2: ByteLevel's own regex, which splits digits unlike Llama 3's groups of three
        Tokenizer gpt2 = Tokenizers.load(TINY.writeGguf(dir.resolve("g.gguf"), "gpt-2", null));
        assertArrayEquals(new int[] {TINY.tokens.indexOf("123"), TINY.tokens.indexOf("4")}, gpt2.encode("1234"));
    }

    @Test
    void unknownPreNameIsOneLineNamingTheFile() {
        Path gguf = TINY.writeGguf(dir.resolve("x.gguf"), "made-up-bpe", null);
        CalqException e = assertThrows(CalqException.class, () -> Tokenizers.load(gguf));
        assertTrue(e.getMessage().startsWith(gguf.toString()) && e.getMessage().contains("\"made-up-bpe\"")
                && e.getMessage().contains("--tokenizer DIR") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
