package dev.calq.calibration.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * True-sequential runs stop each stage's pass at the site it observes: the observed inputs, the updated weights and
 * the final hidden states must be bit-identical to running the whole layer for every stage.
 */
class TruncatedPassesTest {
    /** One stage per site; each update rounds the stage's projections to a coarse grid, as a quantizer would. */
    static final class RoundingMethod implements LayerMethod {
        final LayerwiseModel model;
        final List<float[]> observed = new ArrayList<>();
        final List<String> order = new ArrayList<>();

        RoundingMethod(LayerwiseModel model) { this.model = model; }

        @Override public List<Set<InputSite>> stages() {
            List<Set<InputSite>> s = new ArrayList<>();
            for (InputSite site : InputSite.values()) s.add(EnumSet.of(site));
            return s;
        }

        @Override public LinearInputObserver observer(int layer, Set<InputSite> stage) {
            return (l, site, x, tokens, dim) -> {
                order.add(l + " " + site + " " + stage);
                if (stage.contains(site)) observed.add(java.util.Arrays.copyOf(x, tokens * dim));
            };
        }

        @Override public boolean update(int layer, Set<InputSite> stage) {
            for (InputSite site : stage)
                for (Projection p : site.projections()) {
                    float[] w = model.weight(layer, p);
                    for (int i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 16) / 16f;
                    model.setWeight(layer, p, w);
                }
            return true;
        }
    }

    /** The same model without {@link LayerwiseModel#observeLayer}'s override: every pass runs the whole layer. */
    record WholePasses(LlamaModel m) implements LayerwiseModel {
        @Override public int numLayers() { return m.numLayers(); }
        @Override public int hiddenSize() { return m.hiddenSize(); }
        @Override public float[] embed(int[] tokens) { return m.embed(tokens); }
        @Override public void runLayer(int layer, float[] hidden, int tokens, float[] out, LinearInputObserver observer) { m.runLayer(layer, hidden, tokens, out, observer); }
        @Override public int outFeatures(Projection p) { return m.outFeatures(p); }
        @Override public int inFeatures(Projection p) { return m.inFeatures(p); }
        @Override public float[] weight(int layer, Projection p) { return m.weight(layer, p); }
        @Override public void setWeight(int layer, Projection p, float[] weight) { m.setWeight(layer, p, weight); }
        @Override public long layerWeightBytes(int layer) { return m.layerWeightBytes(layer); }
        @Override public long activationBytes(int tokens) { return m.activationBytes(tokens); }
    }

    @Test
    void stoppedPassesObserveAndProduceExactlyWhatWholePassesDo() {
        ModelConfig c = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);
        Random rnd = new Random(5);
        List<int[]> samples = new ArrayList<>();
        for (int i = 0; i < 3; i++) samples.add(rnd.ints(11 + 4 * i, 0, c.vocabSize()).toArray());
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

        LlamaModel truncated = SyntheticModels.model(c, 3);
        RoundingMethod a = new RoundingMethod(truncated);
        List<float[]> finalA = new ArrayList<>();
        new CalibrationRunner(truncated, samples, a, RunnerOptions.inMemory(quiet)).onFinalStates((s, h, t) -> finalA.add(h)).run();

        WholePasses whole = new WholePasses(SyntheticModels.model(c, 3));
        RoundingMethod b = new RoundingMethod(whole);
        List<float[]> finalB = new ArrayList<>();
        new CalibrationRunner(whole, samples, b, RunnerOptions.inMemory(quiet)).onFinalStates((s, h, t) -> finalB.add(h)).run();

        assertEquals(b.observed.size(), a.observed.size());
        for (int i = 0; i < a.observed.size(); i++) assertArrayEquals(b.observed.get(i), a.observed.get(i), "observation " + i);
        for (int l = 0; l < c.numLayers(); l++)
            for (Projection p : Projection.values()) assertArrayEquals(whole.weight(l, p), truncated.weight(l, p), l + " " + p);
        for (int s = 0; s < samples.size(); s++) assertArrayEquals(finalB.get(s), finalA.get(s), "final state " + s);
        // The truncated run skipped work: its first stage saw ATTN_IN only, not the sites after it.
        assertTrue(a.order.size() < b.order.size(), a.order.size() + " observations against " + b.order.size());
        assertFalse(a.order.contains("0 MLP_OUT [ATTN_IN]"));
        assertTrue(b.order.contains("0 MLP_OUT [ATTN_IN]"));
    }
}
