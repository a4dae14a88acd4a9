package dev.calq.formats.bnb;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BnbCheckpointTest {
    @TempDir Path tmp;
    static final String P = "model.layers.0.mlp.up_proj";

    private Path folder(String name, List<Tensor> tensors) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        var root = new ObjectMapper().createObjectNode().put("model_type", "llama");
        root.set("quantization_config", new BnbQuantizationConfig(Bnb4BitType.NF4, true, "bfloat16").toJson());
        Files.writeString(dir.resolve("config.json"), root.toString());
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            for (Tensor t : tensors) w.add(t);
            w.add(Tensor.ofFloats("model.norm.weight", new float[] {1, 2}, 2));
            w.finish();
        }
        return dir;
    }

    private static byte[] bytes(Tensor t) {
        byte[] b = new byte[(int) t.numel()];
        java.lang.foreign.MemorySegment.copy(t.data(), ValueLayout.JAVA_BYTE, 0, b, 0, b.length);
        return b;
    }

    @Test
    void aHandMadeLayerPacksTheFirstIndexIntoTheHighNibbleAndRecordsItsState() throws Exception {
        // out 2, in 64: two blocks of 64 (one per row).
        int[] codes = new int[128];
        for (int j = 0; j < 128; j++) codes[j] = j % 16;
        float[] absmax = {0.5f, 2f};
        Bnb4BitLayer layer = new Bnb4BitLayer(2, 64, Bnb4BitType.NF4, codes, absmax, DType.BF16);
        List<Tensor> t = Bnb4BitTensors.build(P, layer, false);
        assertEquals(List.of(P + ".weight", P + ".weight.absmax", P + ".weight.quant_map", P + ".weight.quant_state.bitsandbytes__nf4"),
                t.stream().map(Tensor::name).toList());
        byte[] packed = bytes(t.get(0));
        assertArrayEquals(new long[] {64, 1}, t.get(0).shape());
        assertEquals((byte) 0x01, packed[0]);
        assertEquals((byte) 0x23, packed[1]);
        assertEquals((byte) 0xEF, packed[7]);
        assertArrayEquals(absmax, t.get(1).toFloatArray());
        String json = new String(bytes(t.get(3)), StandardCharsets.UTF_8);
        assertEquals("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [2, 64]}", json);
        try (BnbCheckpoint ck = BnbCheckpoint.open(folder("plain", t))) {
            assertEquals(java.util.Set.of(P + ".weight", "model.norm.weight"), ck.names());
            float[] w = ck.get(P + ".weight").toFloatArray();
            assertEquals(-0.5f, w[0]);
            assertEquals(2f, w[64 + 15]);
            assertEquals(Bnb4BitLayer.roundTo(DType.BF16, Bnb4BitType.NF4.value(1) * 0.5f), w[1]);
            assertArrayEquals(layer.dequantize(), w);
        }
    }

    @Test
    void doubleQuantizedLayersReadBackAsBitsandbytesRestoresThem() throws Exception {
        Random rnd = new Random(9);
        int out = 48, in = 640; // 480 blocks: one full nested block of 256 and a partial one
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = Bnb4BitLayer.roundTo(DType.BF16, (float) (rnd.nextGaussian() * (0.02 + (i / in) * 0.001)));
        for (Bnb4BitType type : Bnb4BitType.values()) {
            Bnb4BitLayer layer = Bnb4BitLayer.quantize(w, out, in, type, DType.BF16);
            BnbDoubleQuant dq = BnbDoubleQuant.of(layer.absmax());
            List<Tensor> t = Bnb4BitTensors.build(P, layer, true);
            assertEquals(DType.U8, t.get(1).dtype());
            assertEquals(2, t.get(3).numel());
            String json = new String(bytes(t.get(5)), StandardCharsets.UTF_8);
            var state = new ObjectMapper().readTree(json);
            assertEquals(256, state.get("nested_blocksize").asInt());
            assertEquals(dq.offset(), (float) state.get("nested_offset").asDouble());
            try (BnbCheckpoint ck = BnbCheckpoint.open(folder("dq-" + type, t))) {
                float[] got = ck.get(P + ".weight").toFloatArray();
                assertArrayEquals(layer.dequantize(dq.restore()), got);
                double err = 0, norm = 0;
                for (int i = 0; i < w.length; i++) {
                    err += (got[i] - w[i]) * (double) (got[i] - w[i]);
                    norm += (double) w[i] * w[i];
                }
                assertTrue(Math.sqrt(err / norm) < (type == Bnb4BitType.NF4 ? 0.12 : 0.2), type + " relative error " + Math.sqrt(err / norm));
            }
            // The restored absmax is within half a dynamic-map step of the real one.
            float[] r = dq.restore();
            for (int b = 0; b < r.length; b++) assertEquals(layer.absmax()[b], r[b], 0.02 * dq.nestedAbsmax()[b / 256] + 1e-7);
        }
    }

    @Test
    void quantizationRoundsEachValueToTheNearestCodeOfItsBlock() {
        Random rnd = new Random(10);
        int out = 3, in = 100; // blocks straddle rows; the last block is partial
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        Bnb4BitLayer l = Bnb4BitLayer.quantize(w, out, in, Bnb4BitType.NF4, DType.F32);
        assertEquals(5, l.absmax().length);
        float[] code = Bnb4BitType.NF4.code();
        for (int j = 0; j < w.length; j++) {
            double m = 0;
            for (int k = j / 64 * 64; k < Math.min(w.length, j / 64 * 64 + 64); k++) m = Math.max(m, Math.abs(w[k]));
            assertEquals((float) m, l.absmax()[j / 64]);
            double best = Double.MAX_VALUE;
            for (float c : code) best = Math.min(best, Math.abs(w[j] / m - c));
            assertEquals(best, Math.abs(w[j] / m - code[l.codes()[j]]), 1e-6, "value " + j);
        }
    }

    @Test
    void brokenStatesFailWithTheFileAndTheProblem() throws Exception {
        Bnb4BitLayer layer = Bnb4BitLayer.quantize(new float[128], 2, 64, Bnb4BitType.NF4, DType.BF16);
        List<Tensor> t = Bnb4BitTensors.build(P, layer, false);
        byte[] bad = "{\"quant_type\": \"nf3\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [2, 64]}".getBytes(StandardCharsets.UTF_8);
        Tensor badState = new Tensor(t.get(3).name(), DType.U8, new long[] {bad.length}, java.lang.foreign.MemorySegment.ofArray(bad));
        Path dir = folder("bad", List.of(t.get(0), t.get(1), t.get(2), badState));
        try (BnbCheckpoint ck = BnbCheckpoint.open(dir)) {
            CalqException e = assertThrows(CalqException.class, () -> ck.get(P + ".weight"));
            assertTrue(e.getMessage().startsWith(dir.toString()) && e.getMessage().contains("nf3"), e.getMessage());
        }
        Path noMap = folder("nomap", List.of(t.get(0), t.get(1), t.get(3)));
        try (BnbCheckpoint ck = BnbCheckpoint.open(noMap)) {
            CalqException e = assertThrows(CalqException.class, () -> ck.get(P + ".weight"));
            assertTrue(e.getMessage().contains("quant_map"), e.getMessage());
        }
    }
}
