package dev.calq.gptq.sensitivity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.gguf.quant.GgmlType;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KlProbeTest {
    private static final int CTX = 24;

    @Test
    void startingFromAKeptLayerInputGivesTheFullForwardsKl() {
        LlamaModel m = TinyLlama.model(1, false);
        int[] tokens = TinyLlama.tokens(2, 3 * CTX);
        KlProbe probe = KlProbe.record(m, tokens, 1, CTX, 2, Set.of(0, 2));
        assertEquals(2 * (CTX / 2 - 1), probe.positions(), "two windows, second halves scored (the last token has no next)");
        assertEquals(0, probe.kl(m), 1e-7, "the unchanged model is its own base (log-probabilities kept as floats)");
        for (int l : new int[] {0, 2}) {
            float[] w = m.weight(l, Projection.DOWN);
            m.setWeight(l, Projection.DOWN, SensitivityMeasurement.roundTrip(GgmlType.Q4_0, w, TinyLlama.HIDDEN, TinyLlama.FFN, null));
            double full = probe.kl(m), fromLayer = probe.kl(m, l);
            assertTrue(full > 1e-6, "a 4-bit substitution changes the distribution: " + full);
            assertEquals(full, fromLayer, 1e-12 * Math.max(1, full), "layer " + l);
            m.setWeight(l, Projection.DOWN, w);
        }
        float[] head = m.lmHead().weight().toFloatArray();
        m.lmHead().setWeight(SensitivityMeasurement.roundTrip(GgmlType.Q4_0, head, TinyLlama.VOCAB, TinyLlama.HIDDEN, null));
        assertEquals(probe.kl(m), probe.kl(m, TinyLlama.LAYERS), 1e-12, "the head alone from the last layer's output");
    }

    @Test
    void headHessianIsTheGramOfTheFinalNormedScoredStates() {
        LlamaModel m = TinyLlama.model(3, false);
        int[] tokens = TinyLlama.tokens(4, CTX);
        KlProbe probe = KlProbe.record(m, tokens, 1, CTX, 1, Set.of());
        // the head's output error on the scored rows, computed through the model, equals tr(dW H dW^T)
        float[] w = m.lmHead().weight().toFloatArray();
        Random rnd = new Random(5);
        float[] d = new float[w.length];
        for (int i = 0; i < d.length; i++) d[i] = (float) (0.01 * rnd.nextGaussian());
        int[] window = dev.calq.calibration.eval.PerplexityMethod.LLAMA.window(tokens, CTX, 0, 1);
        int first = dev.calq.calibration.eval.PerplexityMethod.LLAMA.firstScored(CTX);
        float[] base = m.forward(window, first);
        float[] moved = w.clone();
        for (int i = 0; i < w.length; i++) moved[i] += d[i];
        m.lmHead().setWeight(moved);
        float[] after = m.forward(window, first);
        double want = 0;
        for (int i = 0; i < base.length; i++) want += ((double) after[i] - base[i]) * (after[i] - base[i]);
        float[] h = probe.headHessian();
        int n = TinyLlama.HIDDEN;
        double got = 0;
        for (int r = 0; r < TinyLlama.VOCAB; r++)
            for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) got += (double) d[r * n + a] * h[a * n + b] * d[r * n + b];
        assertEquals(want, got, 1e-3 * want);
    }
}
