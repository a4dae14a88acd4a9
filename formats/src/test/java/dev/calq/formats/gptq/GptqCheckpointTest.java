package dev.calq.formats.gptq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptqCheckpointTest {
    @TempDir Path tmp;

    private static float half(Random rnd) { return Float.float16ToFloat(Float.floatToFloat16((float) (0.001 + 0.01 * rnd.nextDouble()))); }

    @Test
    void actOrderLayerRoundTripsThroughTheFilesForEveryBitWidth() throws Exception {
        Random rnd = new Random(3);
        for (int bits : new int[] {2, 3, 4, 8}) {
            int out = 64, in = 96, gs = 32, groups = in / gs, maxq = (1 << bits) - 1;
            int[] codes = new int[out * in];
            for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(maxq + 1);
            float[] scales = new float[groups * out];
            int[] zeros = new int[groups * out];
            for (int i = 0; i < scales.length; i++) { scales[i] = half(rnd); zeros[i] = rnd.nextInt(maxq + 1); }
            // Act-order: the groups of the columns are a permutation of the natural ones.
            int[] gIdx = new int[in];
            for (int i = 0; i < in; i++) gIdx[i] = i / gs;
            for (int i = in - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int t = gIdx[i]; gIdx[i] = gIdx[j]; gIdx[j] = t; }
            Path dir = tmp.resolve("b" + bits);
            Files.createDirectories(dir);
            var cfg = new GptqQuantizationConfig(bits, gs, true, false, 0.01, false, true, GptqQuantizationConfig.V1);
            Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"quantization_config\":" + cfg.toJson() + "}");
            try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
                for (Tensor t : GptqTensors.build("model.layers.0.mlp.up_proj", out, in, bits, codes, scales, zeros, gIdx, 1)) w.add(t);
                w.add(Tensor.ofFloats("model.norm.weight", new float[] {1f, 2f}, 2));
                w.finish();
            }
            try (GptqCheckpoint ck = GptqCheckpoint.open(dir)) {
                assertEquals(java.util.Set.of("model.layers.0.mlp.up_proj.weight", "model.norm.weight"), ck.names());
                GptqCheckpoint.Layer l = ck.layer("model.layers.0.mlp.up_proj");
                assertArrayEquals(codes, l.codes(), "bits " + bits);
                assertArrayEquals(zeros, l.zeros(), "bits " + bits);
                assertArrayEquals(scales, l.scales());
                assertArrayEquals(gIdx, l.gIdx());
                Tensor wt = ck.get("model.layers.0.mlp.up_proj.weight");
                assertArrayEquals(new long[] {out, in}, wt.shape());
                float[] deq = wt.toFloatArray();
                for (int o = 0; o < out; o++)
                    for (int i = 0; i < in; i++) {
                        int g = gIdx[i] * out + o;
                        assertEquals(scales[g] * (codes[o * in + i] - zeros[g]), deq[o * in + i]);
                    }
                assertArrayEquals(new float[] {1f, 2f}, ck.get("model.norm.weight").toFloatArray());
                assertTrue(ck.config().descAct());
            }
        }
    }

    @Test
    void malformedCheckpointsGiveErrorsNamingTheFolder() throws Exception {
        Path dir = tmp.resolve("bad");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\"}");
        CalqException e = assertThrows(CalqException.class, () -> GptqCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("no quantization_config"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"quantization_config\":{\"quant_method\":\"gptq\",\"bits\":4,\"group_size\":32}}");
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, Map.of(), Long.MAX_VALUE)) {
            w.add(GptqTensors.ints("l.qweight", new int[4 * 8], 4, 8));
            w.add(GptqTensors.ints("l.qzeros", new int[1], 1, 1)); // should be [1, 1] for 8 outputs: fine; scales wrong
            w.add(Tensor.ofFloats("l.scales", new float[3], 1, 3));
            w.finish();
        }
        try (GptqCheckpoint ck = GptqCheckpoint.open(dir)) {
            e = assertThrows(CalqException.class, () -> ck.get("l.weight"));
            assertTrue(e.getMessage().startsWith(dir + ": l.scales has 3 columns; qweight has 8 outputs"), e.getMessage());
        }
    }
}
