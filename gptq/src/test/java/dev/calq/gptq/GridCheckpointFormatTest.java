package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.calibration.quant.Rtn;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.compressed.CompressedTensorsCheckpoint;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.gptq.GptqPacking;
import dev.calq.formats.gptq.GptqTensors;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every grid checkpoint layout holds the same layers: each reads back to exactly the dequantized weights. */
class GridCheckpointFormatTest {
    @TempDir Path tmp;
    static final String Q = "model.layers.0.self_attn.q_proj", DOWN = "model.layers.0.mlp.down_proj";

    private Path model(Random rnd, int out, int in) throws Exception {
        return TestData.modelFolder(tmp.resolve("src"), rnd, out, in, false, false);
    }

    private static TensorSource open(GridCheckpointFormat f, Path dir) {
        return f == GridCheckpointFormat.COMPRESSED_TENSORS ? CompressedTensorsCheckpoint.open(dir) : GptqCheckpoint.open(dir);
    }

    @Test
    void everyFormatReadsBackTheDequantizedWeightsExactly() throws Exception {
        Random rnd = new Random(11);
        int out = 64, in = 128;
        Path src = model(rnd, out, in);
        double[] h = TestData.hessian(TestData.correlated(rnd, 300, in), 300, in);
        for (GptqConfig cfg : List.of(GptqConfig.defaults().withGroupSize(32).withActOrder(true),
                GptqConfig.defaults().withGroupSize(32).withActOrder(true).withStaticGroups(true),
                GptqConfig.defaults().withBits(8).withGroupSize(-1).withSym(false),
                GptqConfig.defaults().withBits(3).withGroupSize(64).withSym(false),
                GptqConfig.defaults().withBits(2).withGroupSize(64))) {
            Map<String, QuantizedLinear> quantized = new LinkedHashMap<>();
            try (SafetensorsModel m = SafetensorsModel.open(src)) {
                quantized.put(Q + ".weight", GptqQuantizer.quantize(m.get(Q + ".weight").toFloatArray(), out, in, h, cfg));
                quantized.put(DOWN + ".weight", Rtn.quantize(m.get(DOWN + ".weight").toFloatArray(), in, out, cfg.grid()));
                for (GridCheckpointFormat f : GridCheckpointFormat.values()) {
                    Path outDir = tmp.resolve(f + "-" + cfg.bits() + "-" + cfg.groupSize() + "-" + cfg.actOrder() + cfg.staticGroups());
                    List<String> warnings = f.write(src, m, quantized, cfg.checkpointConfig(), Long.MAX_VALUE, outDir, false);
                    assertEquals(cfg.bits() != 4 && cfg.bits() != 8, warnings.stream().anyMatch(s -> s.contains("-bit")), f + " " + warnings);
                    try (TensorSource ck = open(f, outDir)) {
                        for (var e : quantized.entrySet())
                            assertArrayEquals(e.getValue().dequantize(), ck.get(e.getKey()).toFloatArray(), f + " " + cfg + " " + e.getKey());
                        assertEquals(java.util.Set.of(Q + ".weight", DOWN + ".weight", "model.norm.weight"), ck.names());
                    }
                }
            }
        }
    }

    @Test
    void compressedTensorsWritesActOrderAsLlmCompressorNamesIt() throws Exception {
        Random rnd = new Random(12);
        int out = 64, in = 128;
        Path src = model(rnd, out, in);
        double[] h = TestData.hessian(TestData.correlated(rnd, 300, in), 300, in);
        Map<GptqConfig, String> expected = new LinkedHashMap<>();
        expected.put(GptqConfig.defaults().withGroupSize(32), null);
        expected.put(GptqConfig.defaults().withGroupSize(32).withActOrder(true), "group");
        expected.put(GptqConfig.defaults().withGroupSize(32).withActOrder(true).withStaticGroups(true), "weight");
        int k = 0;
        for (var e : expected.entrySet()) {
            GptqConfig cfg = e.getKey();
            Path outDir = tmp.resolve("ct" + k++);
            try (SafetensorsModel m = SafetensorsModel.open(src)) {
                QuantizedLinear q = GptqQuantizer.quantize(m.get(Q + ".weight").toFloatArray(), out, in, h, cfg);
                GridCheckpointFormat.COMPRESSED_TENSORS.write(src, m, Map.of(Q + ".weight", q), cfg.checkpointConfig(), Long.MAX_VALUE, outDir, false);
            }
            JsonNode w = new ObjectMapper().readTree(outDir.resolve("config.json").toFile()).path("quantization_config")
                    .path("config_groups").path("group_0").path("weights");
            assertEquals(e.getValue(), w.get("actorder").isNull() ? null : w.get("actorder").asText(), cfg.toString());
            try (SafetensorsModel m = SafetensorsModel.open(outDir)) {
                assertEquals("group".equals(e.getValue()), m.contains(Q + ".weight_g_idx"), cfg.toString());
                assertFalse(m.contains(Q + ".weight_zero_point"));
                assertArrayEquals(new long[] {out, in / 8}, m.get(Q + ".weight_packed").shape());
                assertArrayEquals(new long[] {out, in / 32}, m.get(Q + ".weight_scale").shape());
            }
        }
    }

    @Test
    void gptqV2StoresTheTrueZeroPoints() throws Exception {
        Random rnd = new Random(13);
        Path src = model(rnd, 64, 128);
        GptqConfig cfg = GptqConfig.defaults().withSym(false).withGroupSize(64);
        QuantizedLinear q;
        try (SafetensorsModel m = SafetensorsModel.open(src)) {
            q = Rtn.quantize(m.get(Q + ".weight").toFloatArray(), 64, 128, cfg.grid());
            List<String> warnings = GridCheckpointFormat.GPTQ_V2.write(src, m, Map.of(Q + ".weight", q), cfg.checkpointConfig(), Long.MAX_VALUE, tmp.resolve("v2"), false);
            assertTrue(warnings.stream().noneMatch(s -> s.contains("stored as -1")), warnings.toString());
        }
        assertEquals("gptq_v2", new ObjectMapper().readTree(tmp.resolve("v2/config.json").toFile()).path("quantization_config").path("checkpoint_format").asText());
        try (SafetensorsModel m = SafetensorsModel.open(tmp.resolve("v2"))) {
            int[] stored = GptqPacking.unpackQzeros(GptqTensors.toInts(m.get(Q + ".qzeros")), 2, 64, 4);
            assertArrayEquals(q.zeros(), stored);
        }
    }
}
