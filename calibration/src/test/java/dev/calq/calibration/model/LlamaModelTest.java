package dev.calq.calibration.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.CalqException;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LlamaModelTest {
    private static final RopeScaling LLAMA3 = new RopeScaling("llama3", 8.0, 1.0, 4.0, 64);

    private static int[] tokens(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    private static void assertMatchesReference(ModelConfig c, DType dtype, int seqLen) {
        MapTensorSource src = SyntheticModels.weights(c, dtype, 42);
        LlamaModel model = LlamaModel.load(c, src, "synthetic");
        int[] toks = tokens(seqLen, c.vocabSize(), 7);
        float[] got = model.forward(toks);
        double[][] want = new ReferenceForward(c, src).logits(toks);
        double maxErr = 0;
        for (int t = 0; t < seqLen; t++)
            for (int v = 0; v < c.vocabSize(); v++) maxErr = Math.max(maxErr, Math.abs(got[t * c.vocabSize() + v] - want[t][v]));
        assertTrue(maxErr < 2e-4, c.architecture() + " " + dtype + ": max abs logit error " + maxErr);
    }

    @Test void llamaWithGqaMatchesDoubleReference() {
        assertMatchesReference(SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE), DType.BF16, 37);
    }

    @Test void llamaF16TiedWithLlama3RopeScaling() {
        assertMatchesReference(SyntheticModels.config(Architecture.LLAMA, true, LLAMA3), DType.F16, 100);
    }

    @Test void linearRopeScalingF32() {
        assertMatchesReference(SyntheticModels.config(Architecture.MISTRAL, false, new RopeScaling("linear", 2.0, 1, 4, 64)), DType.F32, 19);
    }

    @Test void qwen2WithQkvBias() {
        ModelConfig c = SyntheticModels.config(Architecture.QWEN2, false, RopeScaling.NONE);
        assertTrue(c.attentionBias());
        assertMatchesReference(c, DType.BF16, 33);
    }

    @Test void qwen3WithQkNorm() {
        assertMatchesReference(SyntheticModels.config(Architecture.QWEN3, true, RopeScaling.NONE), DType.BF16, 21);
    }

    @Test void logitsOfTheLaterRowsOnlyEqualTheFullForward() {
        ModelConfig c = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);
        LlamaModel model = LlamaModel.load(c, SyntheticModels.weights(c, DType.BF16, 3), "synthetic");
        int[] toks = tokens(29, c.vocabSize(), 5);
        float[] all = model.forward(toks), tail = model.forward(toks, 17);
        assertEquals((29 - 17) * c.vocabSize(), tail.length);
        for (int i = 0; i < tail.length; i++) assertEquals(all[17 * c.vocabSize() + i], tail[i], 1e-5f);
    }

    @Test void batchedLayerEqualsSequencesRunAlone() {
        ModelConfig c = SyntheticModels.config(Architecture.QWEN2, false, RopeScaling.NONE);
        LlamaModel model = LlamaModel.load(c, SyntheticModels.weights(c, DType.BF16, 9), "synthetic");
        int n = 23, h = c.hiddenSize();
        float[] a = model.embed(tokens(n, c.vocabSize(), 1)), b = model.embed(tokens(n, c.vocabSize(), 2));
        float[] both = new float[2 * n * h];
        System.arraycopy(a, 0, both, 0, n * h);
        System.arraycopy(b, 0, both, n * h, n * h);
        model.layer(0).forward(a, n, null);
        model.layer(0).forward(b, n, null);
        model.layer(0).forward(both, 2, n, 0, null);
        for (int i = 0; i < n * h; i++) {
            assertEquals(a[i], both[i], 1e-5f);
            assertEquals(b[i], both[n * h + i], 1e-5f);
        }
    }

    @Test void sequencesRunTogetherGiveExactlyTheirLogitsAlone() {
        ModelConfig c = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);
        LlamaModel model = LlamaModel.load(c, SyntheticModels.weights(c, DType.BF16, 7), "synthetic");
        int n = 31, from = 15, v = c.vocabSize();
        int[][] seqs = {tokens(n, v, 1), tokens(n, v, 2), tokens(n, v, 3)};
        List<String> seen = new ArrayList<>();
        LinearInputObserver counting = (layer, site, x, rows, dim) -> { if (layer == 0) seen.add(site + ":" + rows); };
        float[] together = model.forward(seqs, from, null), observed = model.forward(seqs, from, counting);
        assertEquals(3 * (n - from) * v, together.length);
        assertArrayEquals(together, observed, "the last layer's row selection must not change the kept rows");
        assertEquals(List.of("ATTN_IN:93", "ATTN_OUT:93", "MLP_IN:93", "MLP_OUT:93"), seen);
        for (int b = 0; b < 3; b++) {
            float[] alone = model.forward(seqs[b]);
            for (int i = 0; i < (n - from) * v; i++)
                assertEquals(alone[from * v + i], together[b * (n - from) * v + i], 0f, "sequence " + b + ", value " + i);
        }
        int[][] ragged = {tokens(n, v, 1), tokens(n - 1, v, 2)};
        assertThrows(IllegalArgumentException.class, () -> model.forward(ragged, from, null));
    }

    @Test void observerSeesEveryProjectionInputWithItsWidth() {
        ModelConfig c = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);
        LlamaModel model = LlamaModel.load(c, SyntheticModels.weights(c, DType.BF16, 11), "synthetic");
        int n = 13;
        float[] hidden = model.embed(tokens(n, c.vocabSize(), 4));
        float[] normed = model.layer(1).inputNorm().apply(hidden, n);
        List<String> seen = new ArrayList<>();
        model.layer(1).forward(hidden, n, (layer, site, x, rows, dim) -> {
            seen.add(layer + ":" + site + ":" + rows + "x" + dim);
            if (site == InputSite.ATTN_IN) for (int i = 0; i < rows * dim; i++) assertEquals(normed[i], x[i], 0f);
        });
        assertEquals(List.of("1:ATTN_IN:13x40", "1:ATTN_OUT:13x56", "1:MLP_IN:13x40", "1:MLP_OUT:13x72"), seen);
    }

    @Test void replacedWeightsAreUsedAndBlocksComposeToTheLayer() {
        ModelConfig c = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);
        LlamaModel model = LlamaModel.load(c, SyntheticModels.weights(c, DType.BF16, 13), "synthetic");
        DecoderLayer layer = model.layer(0);
        int n = 17, h = c.hiddenSize();
        float[] x = model.embed(tokens(n, c.vocabSize(), 8));
        // The layer equals its parts run on cached inputs: norm, attention with o_proj, norm, MLP.
        float[] manual = x.clone();
        float[] att = layer.attention().forward(layer.inputNorm().apply(manual, n), 1, n, 0, null);
        for (int i = 0; i < manual.length; i++) manual[i] += att[i];
        float[] ff = layer.mlp().forward(layer.postAttentionNorm().apply(manual, n), n, null);
        for (int i = 0; i < manual.length; i++) manual[i] += ff[i];
        float[] viaLayer = x.clone();
        layer.forward(viaLayer, n, null);
        assertArrayEquals(manual, viaLayer, 1e-6f);
        // Zeroing down_proj removes the MLP's contribution.
        float[] down = layer.weights(Projection.DOWN);
        assertEquals(h * c.intermediateSize(), down.length);
        layer.setWeight(Projection.DOWN, new float[down.length]);
        float[] noMlp = x.clone();
        layer.forward(noMlp, n, null);
        for (int i = 0; i < noMlp.length; i++) assertEquals(x[i] + att[i], noMlp[i], 1e-5f);
        assertEquals(DType.F32, layer.weight(Projection.DOWN).dtype());
        assertArrayEquals(new float[down.length], layer.weights(Projection.DOWN));
        assertThrows(IllegalArgumentException.class, () -> layer.setWeight(Projection.Q, new float[3]));
    }

    @Test void shapeMismatchAndMissingTensorsAreOneLineErrors() {
        ModelConfig c = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);
        MapTensorSource src = SyntheticModels.weights(c, DType.BF16, 1);
        src.put(Tensor.ofFloats("model.layers.1.mlp.up_proj.weight", new float[72 * 39], 72, 39));
        CalqException e = assertThrows(CalqException.class, () -> LlamaModel.load(c, src, "dir"));
        assertEquals("dir: tensor model.layers.1.mlp.up_proj.weight has shape [72, 39] but config.json implies [72, 40]", e.getMessage());
        MapTensorSource src2 = SyntheticModels.weights(c, DType.BF16, 1);
        src2.tensors.remove("lm_head.weight");
        e = assertThrows(CalqException.class, () -> LlamaModel.load(c, src2, "dir"));
        assertTrue(e.getMessage().contains("lm_head.weight is missing"), e.getMessage());
    }
}
