package dev.calq.formats.compressed;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.gptq.GptqTensors;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressedTensorsCheckpointTest {
    @TempDir Path tmp;
    static final String P = "model.layers.0.mlp.up_proj";

    private Path folder(String name, CompressedTensorsConfig cfg, List<Tensor> tensors) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        var root = new ObjectMapper().createObjectNode().put("model_type", "llama");
        root.set("quantization_config", cfg.toJson());
        Files.writeString(dir.resolve("config.json"), root.toString());
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            for (Tensor t : tensors) w.add(t);
            w.add(Tensor.ofFloats("lm_head.weight", new float[] {1, 2, 3, 4}, 2, 2));
            w.finish();
        }
        return dir;
    }

    @Test
    void aHandMadeAsymmetricLayerIsStoredWordByWordAndReadsBack() throws Exception {
        // out 2, in 8, 4 bits, one group per row of 4 columns (2 groups).
        int[] codes = {0, 1, 2, 3, 4, 5, 6, 7, /* row 1 */ 15, 14, 13, 12, 11, 10, 9, 8};
        float[] scales = {0.5f, 0.25f, /* group 1 */ 1f, 2f}; // [groups][out]
        int[] zeros = {3, 9, /* group 1 */ 4, 12};
        int[] gIdx = {0, 0, 0, 0, 1, 1, 1, 1};
        List<Tensor> t = PackQuantizedTensors.build(P, 2, 8, 4, codes, scales, zeros, null, false);
        assertEquals(List.of(P + ".weight_packed", P + ".weight_scale", P + ".weight_zero_point", P + ".weight_shape"),
                t.stream().map(Tensor::name).toList());
        assertArrayEquals(new int[] {0x76543210, 0x89ABCDEF}, GptqTensors.toInts(t.get(0)));
        assertArrayEquals(new long[] {2, 1}, t.get(0).shape());
        assertArrayEquals(new long[] {2, 2}, t.get(1).shape()); // [out, groups]
        assertEquals(DType.F16, t.get(1).dtype());
        assertArrayEquals(new float[] {0.5f, 1f, 0.25f, 2f}, t.get(1).toFloatArray());
        // zero points [out=2][groups=2] = {{3, 4}, {9, 12}} packed down the outputs: word per group.
        assertArrayEquals(new int[] {3 | 9 << 4, 4 | 12 << 4}, GptqTensors.toInts(t.get(2)));
        assertArrayEquals(new long[] {1, 2}, t.get(2).shape());
        assertEquals(DType.I64, t.get(3).dtype());
        assertEquals(8L, t.get(3).data().get(Tensor.I64, 8));

        CompressedTensorsConfig cfg = new CompressedTensorsConfig(4, 4, false, CompressedTensorsConfig.ActOrder.NONE, List.of("lm_head"));
        try (CompressedTensorsCheckpoint ck = CompressedTensorsCheckpoint.open(folder("asym", cfg, t))) {
            assertEquals(java.util.Set.of(P + ".weight", "lm_head.weight"), ck.names());
            GptqCheckpoint.Layer l = ck.layer(P);
            assertArrayEquals(codes, l.codes());
            assertArrayEquals(zeros, l.zeros());
            assertArrayEquals(gIdx, l.gIdx());
            float[] w = ck.get(P + ".weight").toFloatArray();
            assertEquals(0.5f * (0 - 3), w[0]);
            assertEquals(1f * (7 - 4), w[7]);
            assertEquals(0.25f * (15 - 9), w[8]);
            assertEquals(2f * (8 - 12), w[15]);
            assertEquals(cfg, ck.config());
        }
    }

    @Test
    void symmetricGroupActOrderStoresGIdxAndNoZeroPoints() throws Exception {
        Random rnd = new Random(5);
        int out = 20, in = 24, bits = 3, groups = 3; // 3 bits: 10 values a word, rows padded
        int[] codes = new int[out * in];
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(8);
        float[] scales = new float[groups * out];
        for (int i = 0; i < scales.length; i++) scales[i] = Float.float16ToFloat(Float.floatToFloat16(0.01f + rnd.nextFloat()));
        int[] zeros = new int[groups * out];
        java.util.Arrays.fill(zeros, 4);
        int[] gIdx = new int[in];
        for (int i = 0; i < in; i++) gIdx[i] = (i * 7) % groups;
        List<Tensor> t = PackQuantizedTensors.build(P, out, in, bits, codes, scales, zeros, gIdx, true);
        assertEquals(List.of(P + ".weight_packed", P + ".weight_scale", P + ".weight_shape", P + ".weight_g_idx"),
                t.stream().map(Tensor::name).toList());
        assertArrayEquals(new long[] {out, 3}, t.get(0).shape());
        CompressedTensorsConfig cfg = new CompressedTensorsConfig(bits, 8, true, CompressedTensorsConfig.ActOrder.GROUP, List.of("lm_head"));
        try (CompressedTensorsCheckpoint ck = CompressedTensorsCheckpoint.open(folder("sym", cfg, t))) {
            float[] w = ck.get(P + ".weight").toFloatArray();
            for (int o = 0; o < out; o++)
                for (int i = 0; i < in; i++)
                    assertEquals(scales[gIdx[i] * out + o] * (codes[o * in + i] - 4), w[o * in + i], 0f);
        }
        assertThrows(IllegalArgumentException.class, () -> PackQuantizedTensors.build(P, out, in, bits, codes, scales, new int[groups * out], null, true));
    }

    @Test
    void configJsonIsLlmCompressorsShapeAndReadsBack() {
        var cfg = new CompressedTensorsConfig(4, -1, true, CompressedTensorsConfig.ActOrder.NONE, List.of("lm_head"));
        var json = cfg.toJson();
        assertEquals("compressed-tensors", json.get("quant_method").asText());
        assertEquals("pack-quantized", json.get("format").asText());
        assertEquals("compressed", json.get("quantization_status").asText());
        var w = json.get("config_groups").get("group_0").get("weights");
        assertEquals("channel", w.get("strategy").asText());
        assertTrue(w.get("group_size").isNull() && w.get("actorder").isNull());
        assertEquals("Linear", json.get("config_groups").get("group_0").get("targets").get(0).asText());
        assertEquals(cfg, CompressedTensorsConfig.fromJson(json, Path.of("config.json")));
        var weightOrder = new CompressedTensorsConfig(8, 128, false, CompressedTensorsConfig.ActOrder.WEIGHT, List.of());
        assertEquals("weight", weightOrder.toJson().get("config_groups").get("group_0").get("weights").get("actorder").asText());
        assertEquals(weightOrder, CompressedTensorsConfig.fromJson(weightOrder.toJson(), Path.of("config.json")));
    }

    @Test
    void malformedCheckpointsFailWithTheFileAndTheProblem() throws Exception {
        var cfg = new CompressedTensorsConfig(4, 4, false, CompressedTensorsConfig.ActOrder.NONE, List.of());
        List<Tensor> t = PackQuantizedTensors.build(P, 2, 8, 4, new int[16], new float[] {1, 1, 1, 1}, new int[4], null, false);
        Path noZeros = folder("nozp", cfg, List.of(t.get(0), t.get(1), t.get(3)));
        CalqException e = assertThrows(CalqException.class, () -> CompressedTensorsCheckpoint.open(noZeros));
        assertTrue(e.getMessage().contains("weight_zero_point") && e.getMessage().contains(noZeros.toString()), e.getMessage());
        var json = cfg.toJson().put("format", "marlin-24");
        var bad = json.deepCopy();
        e = assertThrows(CalqException.class, () -> CompressedTensorsConfig.fromJson(bad, Path.of("x/config.json")));
        assertTrue(e.getMessage().startsWith("x/config.json: ") && e.getMessage().contains("marlin-24"), e.getMessage());
        Path wrongShape = folder("shape", cfg, List.of(t.get(0), GptqTensors.halves(P + ".weight_scale", new float[] {1, 1, 1}, 1, 3), t.get(2), t.get(3)));
        try (CompressedTensorsCheckpoint ck = CompressedTensorsCheckpoint.open(wrongShape)) {
            e = assertThrows(CalqException.class, () -> ck.get(P + ".weight"));
            assertTrue(e.getMessage().contains("weight_scale"), e.getMessage());
        }
    }
}
