package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.Projection;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AwqMethodTest {
    private static final int TOKENS = 12;

    private static List<float[]> samples(SyntheticBlock b, int n, long seed) {
        Random rnd = new Random(seed);
        List<float[]> xs = new ArrayList<>();
        for (int i = 0; i < n; i++) xs.add(Fixtures.hiddenStates(TOKENS, b.hidden, 20, rnd));
        return xs;
    }

    /** Drives the method as the runner does for one layer: observe every sample, then update. */
    private static AwqLayerSearch.Report runLayer(SyntheticBlock block, List<float[]> xs, AwqConfig cfg, WeightQuantizer q) {
        AwqLayerSearch.Report[] got = new AwqLayerSearch.Report[1];
        AwqMethod m = new AwqMethod(i -> block, q, cfg, 1 << 20, 4 * block.hidden + block.inter, (layer, b, r) -> got[0] = r);
        assertEquals(1, m.stages().size());
        LinearInputObserver obs = m.observer(0, m.stages().getFirst());
        for (float[] x : xs) {
            LayerInputs tmp = block.capture(new LayerInputs(0, Long.MAX_VALUE), x, TOKENS);
            for (InputSite s : InputSite.values()) obs.observe(0, s, tmp.samples(s).getFirst(), TOKENS, tmp.dim(s));
        }
        assertEquals(false, m.update(0, m.stages().getFirst()));
        return got[0];
    }

    @Test
    void scalingAloneKeepsTheLayerFunction() {
        SyntheticBlock block = new SyntheticBlock(32, 4, 2, 8, 48, true, 41);
        List<float[]> xs = samples(block, 2, 42);
        float[] before = block.forward(xs.getFirst(), TOKENS);
        AwqLayerSearch.Report r = runLayer(block, xs, AwqConfig.DEFAULT.withClip(false).withGqaOutputScaling(true), Fixtures.quantizer(4, 16));
        assertEquals(4, r.scales().size());
        assertTrue(r.clips().isEmpty());
        assertTrue(Fixtures.maxRelDiff(before, block.forward(xs.getFirst(), TOKENS)) < 1e-5);
    }

    @Test
    void awqQuantizedLayerBeatsRoundToNearestOnOutlierActivations() {
        WeightQuantizer q = Fixtures.quantizer(4, 16);
        SyntheticBlock reference = new SyntheticBlock(32, 4, 4, 8, 48, false, 43);
        List<float[]> calib = samples(reference, 3, 44);
        float[] held = samples(reference, 1, 45).getFirst();
        float[] exact = reference.forward(held, TOKENS);

        SyntheticBlock rtn = new SyntheticBlock(32, 4, 4, 8, 48, false, 43);
        quantizeAll(rtn, q);
        SyntheticBlock awq = new SyntheticBlock(32, 4, 4, 8, 48, false, 43);
        AwqLayerSearch.Report r = runLayer(awq, calib, AwqConfig.DEFAULT, q);
        quantizeAll(awq, q);
        assertEquals(5, r.clips().size());
        double eRtn = mse(exact, rtn.forward(held, TOKENS)), eAwq = mse(exact, awq.forward(held, TOKENS));
        assertTrue(eAwq < 0.8 * eRtn, "AWQ " + eAwq + " vs RTN " + eRtn);
    }

    private static void quantizeAll(SyntheticBlock b, WeightQuantizer q) {
        for (Projection p : Projection.values()) b.setWeight(p, q.fakeQuantize(b.weight(p), b.outFeatures(p), b.inFeatures(p)));
    }

    private static double mse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        return s / a.length;
    }
}
