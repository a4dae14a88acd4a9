package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.DecoderLayer;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.model.Projection;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.SharedData;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** AWQ on layer 1 of the shared tinyllama (real activations, RoPE, GQA with 2 query heads per kv head). */
class RealModelAwqTest {
    private static final int TOKENS = 64;

    @Test
    void foldingIsExactAndSearchLowersTheLayerErrorOnTheSharedModel() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        try (LoadedModel lm = ModelLoader.load(SharedData.tinyLlama())) {
            LlamaModel model = lm.model();
            Tokenizer tok = Tokenizers.load(SharedData.tinyLlama());
            String text = Files.readString(SharedData.calibrationText()).substring(0, 8_000);
            int[] ids = tok.encode(text);
            float[][] xs = new float[2][];
            for (int s = 0; s < 2; s++) {
                int[] sample = new int[TOKENS];
                sample[0] = tok.bosId();
                System.arraycopy(ids, 1000 * s, sample, 1, TOKENS - 1);
                float[] h = model.embed(sample);
                model.layer(0).forward(h, TOKENS, null);
                xs[s] = h;
            }
            DecoderLayer layer = model.layer(1);
            DecoderLayerBlock block = new DecoderLayerBlock(layer, model.config());
            float[][] before = new float[2][];
            LayerInputs cache = new LayerInputs(1, Long.MAX_VALUE);
            for (int s = 0; s < 2; s++) {
                before[s] = xs[s].clone();
                layer.forward(before[s], TOKENS, cache);
            }
            assertEquals(2 * TOKENS, cache.totalTokens(dev.calq.calibration.model.InputSite.ATTN_OUT));
            WeightQuantizer q = new GridQuantizer(dev.calq.calibration.quant.GridConfig.defaults().withSym(false));
            java.util.Map<Projection, float[]> original = new java.util.EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) original.put(p, layer.weights(p));
            double rtn = quantizedError(layer, xs, before, q);
            for (Projection p : Projection.values()) layer.setWeight(p, original.get(p));
            AwqConfig cfg = AwqConfig.DEFAULT.withGrid(5).withClip(false).withGqaOutputScaling(true);
            AwqLayerSearch.Report r = AwqLayerSearch.run(block, cache, q, cfg);
            assertEquals(4, r.scales().size());
            for (ScaleChoice c : r.scales()) assertTrue(c.error() <= c.identityError(), c.group().name());
            // The scaled float layer computes what it did.
            for (int s = 0; s < 2; s++) {
                float[] after = xs[s].clone();
                layer.forward(after, TOKENS, null);
                assertTrue(Fixtures.maxRelDiff(before[s], after) < 1e-4, "sample " + s + ": " + Fixtures.maxRelDiff(before[s], after));
            }
            // Quantized after AWQ, the layer's output is closer to the float layer's than plain RTN's.
            double awq = quantizedError(layer, xs, before, q);
            assertTrue(awq < rtn, "AWQ " + awq + " vs RTN " + rtn);
        }
    }

    private static double quantizedError(DecoderLayer layer, float[][] xs, float[][] reference, WeightQuantizer q) {
        for (Projection p : Projection.values()) {
            var lin = layer.linear(p);
            layer.setWeight(p, q.fakeQuantize(layer.weights(p), lin.outFeatures(), lin.inFeatures()));
        }
        double sum = 0;
        long n = 0;
        for (int s = 0; s < xs.length; s++) {
            float[] out = xs[s].clone();
            layer.forward(out, TOKENS, null);
            for (int i = 0; i < out.length; i++) sum += (out[i] - reference[s][i]) * (double) (out[i] - reference[s][i]);
            n += out.length;
        }
        return sum / n;
    }
}
