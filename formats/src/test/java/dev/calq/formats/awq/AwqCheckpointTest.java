package dev.calq.formats.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AwqCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    static AwqLinear randomLayer(String prefix, int out, int in, int gs, boolean bias, Random rnd) {
        int groups = in / gs;
        int[] codes = new int[out * in], zeros = new int[groups * out];
        float[] scales = new float[groups * out];
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(16);
        for (int i = 0; i < zeros.length; i++) {
            zeros[i] = rnd.nextInt(16);
            scales[i] = Float.float16ToFloat(Float.floatToFloat16(0.001f + rnd.nextFloat() * 0.05f));
        }
        float[] b = null;
        if (bias) {
            b = new float[out];
            for (int i = 0; i < out; i++) b[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
        }
        return new AwqLinear(prefix, out, in, gs, codes, scales, zeros, b);
    }

    /** Writes an AWQ checkpoint folder from its tensors directly: the reader's view of what AutoAWQ saves. */
    private Path checkpoint(List<AwqLinear> layers, List<Tensor> others, ObjectNode quant) throws Exception {
        Path dir = tmp.resolve("awq");
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            for (AwqLinear l : layers) for (Tensor t : l.tensors()) w.add(t);
            for (Tensor t : others) w.add(t);
            w.finish();
        }
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("model_type", "llama");
        if (quant != null) cfg.set("quantization_config", quant);
        JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        return dir;
    }

    @Test
    void readerDequantizesUnderHuggingFaceNames() throws Exception {
        Random rnd = new Random(61);
        AwqLinear q = randomLayer("model.layers.0.self_attn.q_proj", 16, 32, 8, false, rnd);
        AwqLinear v = randomLayer("model.layers.0.self_attn.v_proj", 8, 32, 8, true, rnd);
        Tensor norm = Tensor.ofFloats("model.layers.0.input_layernorm.weight", new float[] {1, 2, 3, 4}, 4);
        Path dir = checkpoint(List.of(q, v), List.of(norm), new AwqQuantizationConfig(4, 8, true).toJson(JSON));
        try (AwqCheckpoint c = AwqCheckpoint.open(dir)) {
            assertEquals(java.util.Set.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.v_proj.weight",
                    "model.layers.0.self_attn.v_proj.bias", "model.layers.0.input_layernorm.weight"), c.names());
            Tensor wq = c.get("model.layers.0.self_attn.q_proj.weight");
            assertEquals(DType.F32, wq.dtype());
            assertArrayEquals(new long[] {16, 32}, wq.shape());
            assertArrayEquals(q.dequantize(), wq.toFloatArray());
            assertArrayEquals(v.dequantize(), c.get("model.layers.0.self_attn.v_proj.weight").toFloatArray());
            assertArrayEquals(v.bias(), c.get("model.layers.0.self_attn.v_proj.bias").toFloatArray());
            assertArrayEquals(new float[] {1, 2, 3, 4}, c.get("model.layers.0.input_layernorm.weight").toFloatArray());
            AwqLinear back = c.read("model.layers.0.self_attn.q_proj");
            assertArrayEquals(q.codes(), back.codes());
            assertArrayEquals(q.zeros(), back.zeros());
            assertArrayEquals(q.scales(), back.scales());
            assertEquals(new AwqQuantizationConfig(4, 8, true), c.config());
            assertThrows(CalqException.class, () -> c.get("model.layers.0.self_attn.q_proj.qweight"));
        }
    }

    @Test
    void quantizationConfigMatchesAutoAwq() {
        ObjectNode q = new AwqQuantizationConfig(4, 128, true).toJson(JSON);
        assertEquals("{\"quant_method\":\"awq\",\"zero_point\":true,\"group_size\":128,\"bits\":4,\"version\":\"gemm\","
                + "\"modules_to_not_convert\":null}", q.toString());
    }

    @Test
    void badCheckpointsGetOneLineErrorsNamingTheFile() throws Exception {
        Random rnd = new Random(62);
        AwqLinear q = randomLayer("m.q_proj", 8, 16, 8, false, rnd);
        ObjectNode gptq = JSON.createObjectNode().put("quant_method", "gptq").put("bits", 4);
        Path dir = checkpoint(List.of(q), List.of(), gptq);
        CalqException e = assertThrows(CalqException.class, () -> AwqCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("not 'awq'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        ObjectNode gemv = new AwqQuantizationConfig(4, 8, true).toJson(JSON).put("version", "gemv");
        JSON.writeValue(dir.resolve("config.json").toFile(), JSON.createObjectNode().set("quantization_config", gemv));
        assertTrue(assertThrows(CalqException.class, () -> AwqCheckpoint.open(dir)).getMessage().contains("gemv"));

        ObjectNode bits = new AwqQuantizationConfig(4, 8, true).toJson(JSON).put("bits", 3);
        JSON.writeValue(dir.resolve("config.json").toFile(), JSON.createObjectNode().set("quantization_config", bits));
        assertTrue(assertThrows(CalqException.class, () -> AwqCheckpoint.open(dir)).getMessage().contains("bits"));

        Files.delete(dir.resolve("config.json"));
        assertTrue(assertThrows(CalqException.class, () -> AwqCheckpoint.open(dir)).getMessage().contains("config.json"));
    }

    @Test
    void missingScalesAreReported() throws Exception {
        Random rnd = new Random(63);
        AwqLinear q = randomLayer("m.q_proj", 8, 16, 8, false, rnd);
        Path dir = tmp.resolve("partial");
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            for (Tensor t : q.tensors()) if (!t.name().endsWith(".scales")) w.add(t);
            w.finish();
        }
        JSON.writeValue(dir.resolve("config.json").toFile(),
                JSON.createObjectNode().set("quantization_config", new AwqQuantizationConfig(4, 8, true).toJson(JSON)));
        assertTrue(assertThrows(CalqException.class, () -> AwqCheckpoint.open(dir)).getMessage().contains("m.q_proj.scales"));
    }
}
