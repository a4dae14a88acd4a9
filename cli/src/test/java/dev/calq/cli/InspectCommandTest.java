package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.SharedData;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir Path dir;

    private static CliRun run(String... args) { return CliRun.of(args); }

    @Test
    void sharedTinyLlamaTextAndJson() throws IOException {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        String path = SharedData.tinyLlama().toString();
        CliRun r = run("inspect", path);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("parameters                 57,942,528"), r.out());
        assertTrue(r.out().contains("LlamaForCausalLM"));
        assertTrue(r.out().contains("bytes on disk              115,893,336 (110.5 MiB)"), r.out());
        int nonLayer = r.out().indexOf("\nnon-layer tensors\n"), l0 = r.out().indexOf("\nlayer 0\n"), l7 = r.out().indexOf("\nlayer 7\n");
        assertTrue(0 < nonLayer && nonLayer < l0 && l0 < l7, r.out());
        assertTrue(r.out().indexOf("model.layers.0.self_attn.q_proj.weight") < r.out().indexOf("model.layers.0.mlp.down_proj.weight"));

        CliRun j = run("inspect", "--json", path);
        assertEquals(0, j.code(), j.err());
        JsonNode root = new ObjectMapper().readTree(j.out());
        assertEquals(57_942_528L, root.get("parameters").asLong());
        assertEquals("LlamaForCausalLM", root.get("architecture").asText());
        assertEquals(4, root.get("hyperparameters").get("num_key_value_heads").asInt());
        assertEquals(75, root.get("tensors").size());
        assertEquals(0, root.get("notes").size());
    }

    @Test
    void syntheticShardedFolderAndSingleFile() throws IOException {
        Path m = dir.resolve("m");
        Files.createDirectories(m);
        Files.writeString(m.resolve("config.json"), "{\"architectures\":[\"Qwen3ForCausalLM\"],\"hidden_size\":4,\"intermediate_size\":6,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":2,\"vocab_size\":3,\"tie_word_embeddings\":true}");
        try (SafetensorsWriter w = SafetensorsWriter.folder(m, SafetensorsWriter.PT_METADATA, 40)) {
            w.add(Tensor.ofFloats("model.embed_tokens.weight", new float[12], 3, 4));
            w.add(Tensor.ofFloats("model.layers.0.input_layernorm.weight", new float[4], 4));
            w.add(Tensor.ofFloats("model.layers.0.self_attn.q_proj.weight", new float[16], 4, 4));
            w.add(Tensor.ofFloats("model.layers.0.self_attn.extra", new float[1], 1));
            w.finish();
        }
        JsonNode root = new ObjectMapper().readTree(run("inspect", "--json", m.toString()).out());
        assertEquals("Qwen3ForCausalLM", root.get("architecture").asText());
        assertEquals(12 + 4 + 16 + 1, root.get("parameters").asLong());
        assertEquals(1 + 4, root.get("files").size(), "index and four shards (48, 16, 64, 4 bytes at a 40-byte limit)");
        assertTrue(root.get("notes").get(0).asText().contains("tensor model.layers.0.self_attn.k_proj.weight is missing"), root.toString());
        JsonNode q = root.get("tensors").get(2);
        assertEquals("model.layers.0.self_attn.q_proj.weight", q.get("name").asText());
        assertEquals("Q", q.get("role").asText());
        assertEquals(0, q.get("layer").asInt());
        assertEquals("[4,4]", q.get("shape").toString());

        CliRun one = run("inspect", m.resolve("model-00001-of-00004.safetensors").toString());
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().contains("architecture   unknown"), one.out());
        assertTrue(one.out().contains("model.embed_tokens.weight  F32    [3, 4]"), one.out());
    }

    @Test
    void badPathsGiveExitOneAndOneLine() throws IOException {
        Path missing = dir.resolve("absent");
        CliRun r = run("inspect", missing.toString());
        assertEquals(1, r.code());
        assertEquals("calq: error: " + missing + ": not found", r.err().strip());
        assertEquals("", r.out());

        Path txt = Files.writeString(dir.resolve("notes.txt"), "hello");
        r = run("inspect", txt.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("calq: error: " + txt + ": not a model calq can inspect"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 'x'});
        r = run("inspect", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("calq: error: " + bad + ": header is not valid JSON"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
