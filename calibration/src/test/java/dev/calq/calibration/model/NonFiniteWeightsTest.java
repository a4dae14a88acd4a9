package dev.calq.calibration.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.eval.PerplexityEvaluator;
import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.formats.CalqException;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Non-finite weights are refused where the model is loaded; a non-finite forward pass stops the evaluation. */
class NonFiniteWeightsTest {
    private static final ModelConfig CONFIG = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);

    @Test void aNanWeightIsRefusedAtLoadNamingTensorRowAndColumn() {
        MapTensorSource s = SyntheticModels.weights(CONFIG, DType.F32, 3);
        String name = Projection.DOWN.weightName(1);
        float[] w = s.get(name).toFloatArray();
        int cols = CONFIG.intermediateSize();
        w[5 * cols + 7] = Float.NaN;
        s.put(Tensor.ofFloats(name, w, CONFIG.hiddenSize(), cols));
        CalqException e = assertThrows(CalqException.class, () -> LlamaModel.load(CONFIG, s, "m/model.safetensors"));
        assertEquals("m/model.safetensors: tensor " + name + " has a NaN at row 5, column 7", e.getMessage());
    }

    @Test void anInfinityInABf16NormIsRefused() {
        MapTensorSource s = SyntheticModels.weights(CONFIG, DType.BF16, 3);
        float[] n = new float[CONFIG.hiddenSize()];
        java.util.Arrays.fill(n, 1f);
        n[3] = Float.POSITIVE_INFINITY;
        s.put(Tensor.ofFloats("model.norm.weight", n, n.length));
        CalqException e = assertThrows(CalqException.class, () -> LlamaModel.load(CONFIG, s, "x"));
        assertEquals("x: tensor model.norm.weight has an infinity (Infinity) at index 3", e.getMessage());
    }

    /** Finite weights large enough to overflow: the perplexity would be NaN, so evaluation stops with the position. */
    @Test void aNonFiniteLogProbabilityStopsTheEvaluation() {
        MapTensorSource s = SyntheticModels.weights(CONFIG, DType.F32, 4);
        float[] head = new float[CONFIG.vocabSize() * CONFIG.hiddenSize()];
        for (int i = 0; i < head.length; i++) head[i] = (i % 2 == 0 ? 3e38f : -3e38f);
        s.put(Tensor.ofFloats("lm_head.weight", head, CONFIG.vocabSize(), CONFIG.hiddenSize()));
        LlamaModel model = LlamaModel.load(CONFIG, s, "big");
        int[] tokens = new int[64];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + i % 40;
        CalqException e = assertThrows(CalqException.class, () -> PerplexityEvaluator.evaluate(model, tokens, 1, PerplexityMethod.LLAMA,
                16, 2, null, null, null));
        assertTrue(e.getMessage().startsWith("big: chunk 1, position "), e.getMessage());
        assertTrue(e.getMessage().contains("the forward pass is not finite"), e.getMessage());
    }
}
