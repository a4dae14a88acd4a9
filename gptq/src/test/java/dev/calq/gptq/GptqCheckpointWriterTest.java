package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.CalqException;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.calq.calibration.quant.Rtn;
import dev.calq.formats.gptq.GptqCheckpointWriter;

class GptqCheckpointWriterTest {
    @TempDir Path tmp;
    static final String Q = "model.layers.0.self_attn.q_proj", DOWN = "model.layers.0.mlp.down_proj";

    private Path model(Random rnd, int out, int in) throws Exception {
        return TestData.modelFolder(tmp.resolve("src"), rnd, out, in, true, true);
    }

    @Test
    void writtenCheckpointReadsBackTheDequantizedWeightsExactly() throws Exception {
        Random rnd = new Random(1);
        int out = 64, in = 128;
        Path src = model(rnd, out, in);
        for (GptqConfig cfg : List.of(GptqConfig.defaults().withGroupSize(32).withActOrder(true),
                GptqConfig.defaults().withBits(3).withGroupSize(-1).withSym(false),
                GptqConfig.defaults().withBits(2).withGroupSize(64))) {
            Path outDir = tmp.resolve("out-" + cfg.bits() + "-" + cfg.groupSize());
            Map<String, QuantizedLinear> quantized = new LinkedHashMap<>();
            try (SafetensorsModel m = SafetensorsModel.open(src)) {
                double[] h = TestData.hessian(TestData.correlated(rnd, 300, in), 300, in);
                quantized.put(Q + ".weight", GptqQuantizer.quantize(m.get(Q + ".weight").toFloatArray(), out, in, h, cfg));
                quantized.put(DOWN + ".weight", Rtn.quantize(m.get(DOWN + ".weight").toFloatArray(), in, out, cfg.grid()));
                List<String> warnings = GptqCheckpointWriter.write(src, m, quantized, cfg.checkpointConfig(), outDir, false);
                assertEquals(cfg.bits() != 4, warnings.stream().anyMatch(s -> s.contains("-bit weights")), warnings.toString());
                assertEquals(!cfg.sym(), warnings.stream().anyMatch(s -> s.contains("asymmetric")), warnings.toString());
            }
            try (GptqCheckpoint ck = GptqCheckpoint.open(outDir); SafetensorsModel m = SafetensorsModel.open(src)) {
                for (var e : quantized.entrySet()) assertArrayEquals(e.getValue().dequantize(), ck.get(e.getKey()).toFloatArray(), e.getKey());
                for (String other : List.of(Q + ".bias", "model.norm.weight")) assertArrayEquals(m.get(other).toFloatArray(), ck.get(other).toFloatArray());
                assertEquals(java.util.Set.of(Q + ".weight", Q + ".bias", DOWN + ".weight", "model.norm.weight"), ck.names());
                assertEquals(cfg.actOrder(), ck.config().descAct());
                assertEquals(cfg.groupSize(), ck.config().groupSize());
            }
            JsonNode qc = new ObjectMapper().readTree(outDir.resolve("config.json").toFile()).get("quantization_config");
            assertEquals("gptq", qc.get("quant_method").asText());
            assertEquals("gptq", qc.get("checkpoint_format").asText());
            assertEquals(cfg.bits(), qc.get("bits").asInt());
            assertEquals(0.01, qc.get("damp_percent").asDouble());
            assertEquals(qc, new ObjectMapper().readTree(outDir.resolve("quantize_config.json").toFile()));
            assertTrue(Files.exists(outDir.resolve("tokenizer.json")) && Files.exists(outDir.resolve("generation_config.json")));
            assertFalse(Files.exists(outDir.resolve("README.md")));
        }
    }

    @Test
    void symmetricFourBitZerosAreStoredMinusOne() throws Exception {
        Random rnd = new Random(2);
        Path src = model(rnd, 64, 128);
        Path outDir = tmp.resolve("sym");
        try (SafetensorsModel m = SafetensorsModel.open(src)) {
            GptqConfig cfg = GptqConfig.defaults();
            List<String> warnings = GptqCheckpointWriter.write(src, m, Map.of(Q + ".weight", Rtn.quantize(m.get(Q + ".weight").toFloatArray(), 64, 128, cfg.grid())), cfg.checkpointConfig(), outDir, false);
            assertEquals(List.of(), warnings);
        }
        try (SafetensorsModel m = SafetensorsModel.open(outDir)) {
            Tensor qz = m.get(Q + ".qzeros");
            assertArrayEquals(new long[] {1, 8}, qz.shape());
            for (int i = 0; i < 8; i++) assertEquals(0x77777777, qz.data().get(Tensor.I32, 4L * i)); // zero 8, stored 7
            assertArrayEquals(new long[] {16, 64}, m.get(Q + ".qweight").shape());
            assertEquals(dev.calq.formats.tensor.DType.F16, m.get(Q + ".scales").dtype());
            assertFalse(m.contains(Q + ".weight"));
        }
    }

    @Test
    void largeCheckpointsAreShardedWithAnIndex() throws Exception {
        Random rnd = new Random(3);
        Path src = model(rnd, 64, 128);
        Path outDir = tmp.resolve("sharded");
        try (SafetensorsModel m = SafetensorsModel.open(src)) {
            GptqConfig cfg = GptqConfig.defaults().withGroupSize(64);
            GptqCheckpointWriter.write(src, m, Map.of(Q + ".weight", Rtn.quantize(m.get(Q + ".weight").toFloatArray(), 64, 128, cfg.grid())),
                    cfg.checkpointConfig(), 20_000, outDir, false);
        }
        assertTrue(Files.exists(outDir.resolve(SafetensorsModel.INDEX_FILE)));
        try (GptqCheckpoint ck = GptqCheckpoint.open(outDir)) {
            assertEquals(4, ck.names().size());
        }
    }

    @Test
    void failuresLeaveNoOutputAndExistingOutputsAreKept() throws Exception {
        Random rnd = new Random(4);
        Path src = model(rnd, 64, 128);
        Path outDir = tmp.resolve("out");
        GptqConfig cfg = GptqConfig.defaults();
        try (SafetensorsModel m = SafetensorsModel.open(src)) {
            QuantizedLinear q = Rtn.quantize(m.get(Q + ".weight").toFloatArray(), 64, 128, cfg.grid());
            CalqException e = assertThrows(CalqException.class,
                    () -> GptqCheckpointWriter.write(src, m, Map.of("model.layers.9.mlp.up_proj.weight", q), cfg.checkpointConfig(), outDir, false));
            assertTrue(e.getMessage().contains("has no tensor model.layers.9.mlp.up_proj.weight"), e.getMessage());
            assertFalse(Files.exists(outDir));
            try (var list = Files.list(tmp)) { assertTrue(list.noneMatch(p -> p.getFileName().toString().contains(".tmp-"))); }
            GptqCheckpointWriter.write(src, m, Map.of(Q + ".weight", q), cfg.checkpointConfig(), outDir, false);
            e = assertThrows(CalqException.class, () -> GptqCheckpointWriter.write(src, m, Map.of(Q + ".weight", q), cfg.checkpointConfig(), outDir, false));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            GptqCheckpointWriter.write(src, m, Map.of(Q + ".weight", q), cfg.checkpointConfig(), outDir, true);
            assertThrows(CalqException.class, () -> GptqCheckpointWriter.write(src, m, Map.of(Q + ".weight", q), cfg.checkpointConfig(), src, true));
        }
    }
}
