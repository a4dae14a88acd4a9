package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.quant.Rtn;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.formats.quantized.CheckpointRepack;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.CalqException;
import dev.calq.formats.awq.AwqCheckpointWriter;
import dev.calq.formats.awq.AwqLinear;
import dev.calq.formats.awq.AwqQuantizationConfig;
import dev.calq.formats.compressed.CompressedTensorsCheckpoint;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRepackTest {
    @TempDir Path tmp;
    static final String Q = "model.layers.0.self_attn.q_proj", DOWN = "model.layers.0.mlp.down_proj";

    private static void assertSameWeights(TensorSource a, TensorSource b) {
        assertEquals(a.names(), b.names());
        for (String n : a.names()) assertArrayEquals(a.get(n).toFloatArray(), b.get(n).toFloatArray(), n);
    }

    @Test
    void gptqRepacksIntoCompressedTensorsAndV2AndBackWithTheSameWeights() throws Exception {
        Random rnd = new Random(21);
        Path src = TestData.modelFolder(tmp.resolve("src"), rnd, 64, 128, true, true);
        double[] h = TestData.hessian(TestData.correlated(rnd, 300, 128), 300, 128);
        GptqConfig cfg = GptqConfig.defaults().withGroupSize(32).withActOrder(true).withSym(false);
        Map<String, QuantizedLinear> q = new LinkedHashMap<>();
        try (SafetensorsModel m = SafetensorsModel.open(src)) {
            q.put(Q + ".weight", GptqQuantizer.quantize(m.get(Q + ".weight").toFloatArray(), 64, 128, h, cfg));
            q.put(DOWN + ".weight", Rtn.quantize(m.get(DOWN + ".weight").toFloatArray(), 128, 64, cfg.grid()));
            GridCheckpointFormat.GPTQ.write(src, m, q, cfg.checkpointConfig(), Long.MAX_VALUE, tmp.resolve("v1"), false);
        }
        CheckpointRepack.repack(tmp.resolve("v1"), GridCheckpointFormat.COMPRESSED_TENSORS, Long.MAX_VALUE, tmp.resolve("ct"), false);
        CheckpointRepack.repack(tmp.resolve("ct"), GridCheckpointFormat.GPTQ_V2, Long.MAX_VALUE, tmp.resolve("v2"), false);
        try (GptqCheckpoint v1 = GptqCheckpoint.open(tmp.resolve("v1")); CompressedTensorsCheckpoint ct = CompressedTensorsCheckpoint.open(tmp.resolve("ct"));
             GptqCheckpoint v2 = GptqCheckpoint.open(tmp.resolve("v2"))) {
            assertSameWeights(v1, ct);
            assertSameWeights(v1, v2);
            assertArrayEquals(q.get(Q + ".weight").dequantize(), v2.get(Q + ".weight").toFloatArray());
            assertEquals("gptq_v2", v2.config().checkpointFormat());
            assertTrue(v2.config().descAct() && !v2.config().sym());
        }
        CalqException e = assertThrows(CalqException.class,
                () -> CheckpointRepack.repack(src, GridCheckpointFormat.GPTQ, Long.MAX_VALUE, tmp.resolve("x"), false));
        assertTrue(e.getMessage().contains("not a GPTQ, AWQ or compressed-tensors checkpoint"), e.getMessage());
    }

    @Test
    void awqGemmRepacksIntoCompressedTensorsWithTheSameWeights() throws Exception {
        Random rnd = new Random(22);
        Path src = TestData.modelFolder(tmp.resolve("src"), rnd, 64, 128, true, true);
        GptqConfig cfg = GptqConfig.defaults().withGroupSize(64).withSym(false);
        try (SafetensorsModel m = SafetensorsModel.open(src)) {
            AwqCheckpointWriter w = new AwqCheckpointWriter(src, m, new AwqQuantizationConfig(4, 64, true));
            QuantizedLinear r = Rtn.quantize(m.get(Q + ".weight").toFloatArray(), 64, 128, cfg.grid());
            w.add(new AwqLinear(Q, 64, 128, 64, r.codes(), r.scales(), r.zeros(), m.get(Q + ".bias").toFloatArray()));
            w.write(tmp.resolve("awq"), false, Long.MAX_VALUE);
        }
        CheckpointRepack.repack(tmp.resolve("awq"), GridCheckpointFormat.COMPRESSED_TENSORS, Long.MAX_VALUE, tmp.resolve("ct"), false);
        try (var awq = dev.calq.formats.awq.AwqCheckpoint.open(tmp.resolve("awq")); CompressedTensorsCheckpoint ct = CompressedTensorsCheckpoint.open(tmp.resolve("ct"))) {
            assertSameWeights(awq, ct);
            assertFalse(ct.config().sym());
        }
    }
}
