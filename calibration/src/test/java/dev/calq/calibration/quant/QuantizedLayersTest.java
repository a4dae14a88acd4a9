package dev.calq.calibration.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.LayerwiseModel;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.quantized.QuantizedLinear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizedLayersTest {
    /**
     * Just the weights of a two-layer model whose projections are all 24 x 40 (40: not a multiple of the vector width).
     * The accumulator only reads shapes and writes weights back, so the forward pass is deliberately absent.
     */
    static final class Weights implements LayerwiseModel {
        final Map<String, float[]> w = new HashMap<>();
        final int cols;
        Weights() { this(40); }
        Weights(int cols) { this.cols = cols; }
        @Override public int numLayers() { return 2; }
        @Override public int hiddenSize() { return cols; }
        @Override public float[] embed(int[] tokens) { throw new UnsupportedOperationException(); }
        @Override public void runLayer(int layer, float[] hidden, int tokens, float[] out, LinearInputObserver observer) { throw new UnsupportedOperationException(); }
        @Override public int outFeatures(Projection p) { return 24; }
        @Override public int inFeatures(Projection p) { return cols; }
        @Override public float[] weight(int layer, Projection p) { return w.get(p.weightName(layer)).clone(); }
        @Override public void setWeight(int layer, Projection p, float[] weight) { w.put(p.weightName(layer), weight.clone()); }
        @Override public long layerWeightBytes(int layer) { return 0; }
        @Override public long activationBytes(int tokens) { return 0; }
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void keepsPutsBackAndRestoresALayerExactly(@TempDir Path dir) throws Exception {
        Random rnd = new Random(3);
        Weights model = new Weights();
        QuantizedLayers layers = new QuantizedLayers(model);
        GridConfig grid = new GridConfig(3, 8, false, false);
        GridConfig blocks = new GridConfig(4, 20, true, false);
        CodebookGrid code = new CodebookGrid(new float[] {-1f, -0.5f, -0.2f, 0f, 0.1f, 0.3f, 0.6f, 1f, -0.8f, -0.1f, 0.2f, 0.4f, 0.5f, 0.7f, 0.9f, -0.3f});
        Map<Projection, QuantizedLinear> kept = new LinkedHashMap<>();
        for (Projection p : Projection.values()) {
            float[] w = random(rnd, 24 * 40);
            QuantizedLinear q = p == Projection.DOWN ? Rtn.quantize(p.weightName(1), w, 24, 40, blocks, code) : Rtn.quantize(p.weightName(1), w, 24, 40, grid);
            layers.keep(1, p, q);
            kept.put(p, q);
            assertArrayEquals(q.dequantize(), model.weight(1, p), 0f, "the dequantized weight goes back into the model");
        }
        float[] extra = random(rnd, 40);
        layers.save(1, dir, new QuantizedLayers.Extras(Map.of("model.layers.1.input_layernorm.weight", extra), Map.of("note", "a b\nc")));
        assertTrue(Files.exists(dir.resolve(QuantizedLayers.FILE)));

        Weights fresh = new Weights();
        QuantizedLayers restored = new QuantizedLayers(fresh);
        QuantizedLayers.Extras back = restored.load(1, dir);
        assertEquals(7, restored.all().size());
        for (Projection p : Projection.values()) {
            QuantizedLinear a = kept.get(p), b = restored.all().get(p.weightName(1));
            assertEquals(a.bits(), b.bits());
            assertEquals(a.groupSize(), b.groupSize());
            assertEquals(a.sym(), b.sym());
            assertArrayEquals(a.codes(), b.codes());
            assertArrayEquals(a.scales(), b.scales());
            assertArrayEquals(a.zeros(), b.zeros());
            assertArrayEquals(a.gIdx(), b.gIdx());
            if (p == Projection.DOWN) assertArrayEquals(a.codebook(), b.codebook());
            else assertNull(b.codebook());
            assertArrayEquals(a.dequantize(), fresh.weight(1, p), 0f);
        }
        assertArrayEquals(extra, back.floats().get("model.layers.1.input_layernorm.weight"));
        assertEquals(1, back.floats().size());
        assertEquals(Map.of("note", "a b\nc"), back.notes());
        assertNull(fresh.w.get(Projection.Q.weightName(0)), "layer 0 was never saved");

        // Deterministic: the same layer saved again is the same bytes.
        Path again = Files.createDirectory(dir.resolve("again"));
        restored.save(1, again, back);
        assertArrayEquals(Files.readAllBytes(dir.resolve(QuantizedLayers.FILE)), Files.readAllBytes(again.resolve(QuantizedLayers.FILE)));
    }

    /** GPTQ inside a ggml type keeps block bytes: they, the loss and the decoded weight come back exactly, beside a grid projection. */
    @Test
    void ggmlBlocksRoundTripBesideGridProjections(@TempDir Path dir) throws Exception {
        Random rnd = new Random(5);
        Weights model = new Weights(64);
        QuantizedLayers layers = new QuantizedLayers(model);
        Map<Projection, QuantizedLayers.GgmlBlocks> kept = new LinkedHashMap<>();
        for (Projection p : Projection.values()) {
            float[] w = random(rnd, 24 * 64);
            if (p == Projection.UP) {
                layers.keep(0, p, Rtn.quantize(p.weightName(0), w, 24, 64, new GridConfig(4, 32, true, false)));
                continue;
            }
            GgmlType type = p.ordinal() % 2 == 0 ? GgmlType.Q8_0 : GgmlType.Q4_0;
            byte[] bytes = Quantizers.quantize(type, w, 24, 64, null);
            QuantizedLayers.GgmlBlocks b = new QuantizedLayers.GgmlBlocks(type, bytes, rnd.nextDouble() / 3);
            layers.keep(0, p, b, Quantizers.dequantize(type, bytes, 24, 64));
            kept.put(p, b);
        }
        layers.save(0, dir, new QuantizedLayers.Extras(Map.of(), Map.of("errors", "x 1.0")));

        Weights fresh = new Weights(64);
        QuantizedLayers restored = new QuantizedLayers(fresh);
        QuantizedLayers.Extras back = restored.load(0, dir);
        assertEquals(Map.of("errors", "x 1.0"), back.notes());
        assertTrue(back.floats().isEmpty(), "block bytes are not taken for the method's float tensors");
        assertEquals(1, restored.all().size());
        assertEquals(kept.size(), restored.blocks().size());
        for (var e : kept.entrySet()) {
            QuantizedLayers.GgmlBlocks a = e.getValue(), b = restored.blocks().get(e.getKey().weightName(0));
            assertEquals(a.type(), b.type());
            assertEquals(a.loss(), b.loss(), 0.0);
            assertArrayEquals(a.bytes(), b.bytes());
            assertArrayEquals(model.weight(0, e.getKey()), fresh.weight(0, e.getKey()), 0f);
        }
        Path again = Files.createDirectory(dir.resolve("again"));
        restored.save(0, again, back);
        assertArrayEquals(Files.readAllBytes(dir.resolve(QuantizedLayers.FILE)), Files.readAllBytes(again.resolve(QuantizedLayers.FILE)));
    }
}
