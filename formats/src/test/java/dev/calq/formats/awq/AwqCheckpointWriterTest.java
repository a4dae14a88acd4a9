package dev.calq.formats.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AwqCheckpointWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String Q = "model.layers.0.self_attn.q_proj", V = "model.layers.0.self_attn.v_proj";
    private static final String NORM = "model.layers.0.input_layernorm.weight", EMBED = "model.embed_tokens.weight";

    @TempDir Path tmp;

    private static float[] randn(int n, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    /** A tiny float model folder: q/v projections (v with a bias), a norm, embeddings, config and tokenizer files. */
    private Path sourceModel(Random rnd) throws Exception {
        Path dir = tmp.resolve("src");
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            w.add(Tensor.ofFloats(Q + ".weight", randn(16 * 32, rnd), 16, 32));
            w.add(Tensor.ofFloats(V + ".weight", randn(8 * 32, rnd), 8, 32));
            w.add(Tensor.ofFloats(V + ".bias", randn(8, rnd), 8));
            w.add(Tensor.ofFloats(NORM, randn(32, rnd), 32));
            w.add(Tensor.ofFloats(EMBED, randn(10 * 32, rnd), 10, 32));
            w.finish();
        }
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": 32}");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
        Files.writeString(dir.resolve("generation_config.json"), "{}");
        return dir;
    }

    @Test
    void writtenCheckpointReadsBackExactly() throws Exception {
        Random rnd = new Random(71);
        Path src = sourceModel(rnd);
        AwqLinear q = AwqCheckpointTest.randomLayer(Q, 16, 32, 8, false, rnd);
        AwqLinear v = AwqCheckpointTest.randomLayer(V, 8, 32, 8, true, rnd);
        float[] scaledNorm = randn(32, rnd);
        Path out = tmp.resolve("out");
        try (SafetensorsModel source = SafetensorsModel.open(src)) {
            AwqCheckpointWriter w = new AwqCheckpointWriter(src, source, new AwqQuantizationConfig(4, 8, true));
            w.add(q);
            w.add(v);
            w.replace(Tensor.ofFloats(NORM, scaledNorm, 32));
            w.write(out, false, SafetensorsWriter.DEFAULT_SHARD_BYTES);
        }
        try (AwqCheckpoint c = AwqCheckpoint.open(out); SafetensorsModel raw = SafetensorsModel.open(out);
             SafetensorsModel source = SafetensorsModel.open(src)) {
            assertArrayEquals(q.dequantize(), c.get(Q + ".weight").toFloatArray());
            assertArrayEquals(v.dequantize(), c.get(V + ".weight").toFloatArray());
            assertArrayEquals(v.bias(), c.get(V + ".bias").toFloatArray());
            assertEquals(DType.F16, raw.get(V + ".bias").dtype());
            assertArrayEquals(scaledNorm, c.get(NORM).toFloatArray());
            assertArrayEquals(source.get(EMBED).toFloatArray(), c.get(EMBED).toFloatArray());
            assertArrayEquals(new long[] {32, 2}, raw.get(Q + ".qweight").shape());
            assertArrayEquals(new long[] {4, 2}, raw.get(Q + ".qzeros").shape());
            assertArrayEquals(new long[] {4, 16}, raw.get(Q + ".scales").shape());
            assertFalse(raw.contains(Q + ".weight"));
        }
        JsonNode cfg = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("llama", cfg.get("model_type").asText());
        assertEquals("awq", cfg.at("/quantization_config/quant_method").asText());
        assertTrue(cfg.at("/quantization_config/modules_to_not_convert").isNull());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve("generation_config.json")));
    }

    @Test
    void failuresLeaveNothingBehind() throws Exception {
        Random rnd = new Random(72);
        Path src = sourceModel(rnd);
        Path out = tmp.resolve("out");
        try (SafetensorsModel source = SafetensorsModel.open(src)) {
            AwqCheckpointWriter w = new AwqCheckpointWriter(src, source, new AwqQuantizationConfig(4, 8, true));
            assertThrows(CalqException.class, () -> w.replace(Tensor.ofFloats("model.norm.weight", new float[32], 32)));
            w.add(AwqCheckpointTest.randomLayer(Q, 16, 32, 8, false, rnd));
            // A broken source config: the write fails, and neither the output nor a temporary folder remains.
            Files.writeString(src.resolve("config.json"), "{not json");
            CalqException e = assertThrows(CalqException.class, () -> w.write(out, false, SafetensorsWriter.DEFAULT_SHARD_BYTES));
            assertTrue(e.getMessage().contains("config.json"), e.getMessage());
            assertFalse(Files.exists(out));
            try (Stream<Path> s = Files.list(tmp)) {
                assertEquals(List.of("src"), s.map(p -> p.getFileName().toString()).toList());
            }
            // An existing output is refused without overwrite and left as it was.
            Files.writeString(src.resolve("config.json"), "{\"model_type\": \"llama\"}");
            Files.createDirectories(out);
            Files.writeString(out.resolve("keep.txt"), "x");
            assertThrows(CalqException.class, () -> w.write(out, false, SafetensorsWriter.DEFAULT_SHARD_BYTES));
            assertEquals("x", Files.readString(out.resolve("keep.txt")));
        }
    }
}
