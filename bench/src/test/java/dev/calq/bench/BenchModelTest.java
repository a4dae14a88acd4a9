package dev.calq.bench;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.ModelLayout;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchModelTest {
    @TempDir Path dir;

    private Path tokenizerFolder() throws IOException {
        Path t = dir.resolve("tok");
        Files.createDirectories(t);
        Files.writeString(t.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"intermediate_size\":16,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"vocab_size\":300,\"bos_token_id\":1,\"eos_token_id\":2,\"rms_norm_eps\":1e-5}");
        Files.writeString(t.resolve("tokenizer_config.json"), "{}");
        return t;
    }

    @Test
    void writesAShardedFolderOfTheShapeReproducibleFromTheSeed() throws IOException {
        Path tok = tokenizerFolder();
        Path a = dir.resolve("a"), b = dir.resolve("b"), c = dir.resolve("c");
        BenchModel.write(BenchModel.Shape.TINY, tok, 5, 100_000, a);
        BenchModel.write(BenchModel.Shape.TINY, tok, 5, 100_000, b);
        BenchModel.write(BenchModel.Shape.TINY, tok, 6, 100_000, c);

        ModelConfig cfg = ModelConfig.load(a);
        assertEquals(64, cfg.hiddenSize());
        assertEquals(300, cfg.vocabSize()); // the tokenizer folder's vocabulary
        assertTrue(cfg.tieWordEmbeddings());
        assertTrue(Files.isRegularFile(a.resolve("tokenizer_config.json")));
        assertTrue(Files.isRegularFile(a.resolve(SafetensorsModel.INDEX_FILE)));
        try (SafetensorsModel m = SafetensorsModel.open(a); SafetensorsModel mb = SafetensorsModel.open(b); SafetensorsModel mc = SafetensorsModel.open(c)) {
            assertTrue(m.files().size() > 1, "sharded");
            ModelLayout layout = new ModelLayout(cfg);
            assertEquals(layout.expected().size(), m.names().size());
            assertTrue(layout.validate(m, a).isEmpty(), layout.validate(m, a).toString());
            Tensor q = m.get("model.layers.1.self_attn.q_proj.weight");
            float[] w = q.toFloatArray();
            double sum = 0, sq = 0;
            for (float v : w) { sum += v; sq += v * v; }
            assertEquals(0, sum / w.length, 0.002);
            assertEquals(BenchModel.STD, Math.sqrt(sq / w.length), 0.002);
            assertArrayEquals(w, mb.get(q.name()).toFloatArray(), "same seed, same bytes");
            assertFalse(java.util.Arrays.equals(w, mc.get(q.name()).toFloatArray()), "another seed, other bytes");
            for (float v : m.get("model.norm.weight").toFloatArray()) assertEquals(1f, v);
        }
        assertThrows(dev.calq.formats.CalqException.class, () -> BenchModel.write(BenchModel.Shape.TINY, tok, 5, 100_000, a));
    }
}
