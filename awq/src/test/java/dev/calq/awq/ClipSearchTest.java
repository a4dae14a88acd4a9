package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.Projection;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClipSearchTest {
    @Test
    void groupErrorsMatchAPlainDoubleLoop() {
        Random rnd = new Random(21);
        int ts = 13, gs = 37, rows = 5;
        float[] x = new float[ts * gs], w = new float[rows * gs], q = new float[rows * gs];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) { w[i] = (float) rnd.nextGaussian(); q[i] = w[i] + 0.1f * (float) rnd.nextGaussian(); }
        double[] got = ClipSearch.groupErrors(ClipSearch.gram(x, ts, gs), w, q, rows, gs);
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int t = 0; t < ts; t++) {
                double e = 0;
                for (int c = 0; c < gs; c++) e += (double) x[t * gs + c] * ((double) q[r * gs + c] - w[r * gs + c]);
                sum += e * e;
            }
            assertEquals(sum / ts, got[r], 1e-4 * sum / ts);
        }
    }

    @Test
    void sampledTokensTakeEveryStepThToken() {
        LayerInputs cache = new LayerInputs(0, Long.MAX_VALUE);
        int d = 3;
        float[] a = new float[7 * d], b = new float[5 * d];
        for (int i = 0; i < a.length; i++) a[i] = i / d;        // tokens 0..6
        for (int i = 0; i < b.length; i++) b[i] = 7 + i / d;    // tokens 7..11
        cache.add(InputSite.MLP_OUT, a, 7);
        cache.add(InputSite.MLP_OUT, b, 5);
        float[] s = ClipSearch.sampleTokens(cache, InputSite.MLP_OUT, 4); // 12 tokens, step 3
        assertEquals(4 * d, s.length);
        for (int k = 0; k < 4; k++) assertEquals(3 * k, s[k * d], 0);
        assertEquals(12 * d, ClipSearch.sampleTokens(cache, InputSite.MLP_OUT, 100).length);
    }

    @Test
    void clippingNeverIncreasesTheError() {
        SyntheticBlock block = new SyntheticBlock(32, 4, 4, 8, 48, false, 31);
        LayerInputs cache = Fixtures.capture(block, 2, 10, 5, 32);
        WeightQuantizer grouped = Fixtures.quantizer(3, 16);
        for (Projection p : ClipSearch.CLIPPED) {
            ClipSearch.ClipResult r = ClipSearch.clip(block, cache, p, grouped, AwqConfig.DEFAULT);
            assertTrue(r.errorAfter() <= r.errorBefore(), p.name());
        }
        // One group per row: the per-group error is the projection's output error, so the whole output improves.
        WeightQuantizer perRow = Fixtures.quantizer(3, 0);
        for (Projection p : ClipSearch.CLIPPED) {
            float[] x = ClipSearch.sampleTokens(cache, p.site(), 512);
            int t = x.length / block.inFeatures(p);
            float[] w = block.weight(p).clone();
            int rows = block.outFeatures(p), cols = block.inFeatures(p);
            double before = outputError(block, p, x, t, w, perRow.fakeQuantize(w, rows, cols));
            ClipSearch.ClipResult r = ClipSearch.clip(block, cache, p, perRow, AwqConfig.DEFAULT);
            double after = outputError(block, p, x, t, w, perRow.fakeQuantize(block.weight(p), rows, cols));
            assertTrue(after <= before * (1 + 1e-6), p + ": " + after + " > " + before);
            assertEquals(after, r.errorAfter(), 1e-4 * after);
            assertTrue(r.clampedGroups() > 0, p.name());
            block.setWeight(p, w);
        }
    }

    @Test
    void qAndKAreNotClipped() {
        assertTrue(!ClipSearch.CLIPPED.contains(Projection.Q) && !ClipSearch.CLIPPED.contains(Projection.K));
        SyntheticBlock block = new SyntheticBlock(32, 4, 4, 8, 48, false, 33);
        LayerInputs cache = Fixtures.capture(block, 1, 10, 5, 34);
        float[] q = block.weight(Projection.Q).clone(), k = block.weight(Projection.K).clone();
        AwqLayerSearch.run(block, cache, Fixtures.quantizer(4, 16), AwqConfig.DEFAULT);
        // Q and K only change by the folded scales: their columns scale, so ratios per column are constant.
        float[] q2 = block.weight(Projection.Q);
        for (int c = 0; c < 32; c++) {
            float ratio = q2[c] / q[c];
            for (int r = 1; r < 32; r++) assertEquals(ratio, q2[r * 32 + c] / q[r * 32 + c], 1e-4 * Math.abs(ratio));
        }
        assertArrayEquals(new int[] {k.length}, new int[] {block.weight(Projection.K).length});
    }

    /** Mean squared difference of x w^T and x q^T: the error of one row-group summed as the search sees it. */
    private static double outputError(SyntheticBlock block, Projection p, float[] x, int t, float[] w, float[] q) {
        int cols = block.inFeatures(p), rows = block.outFeatures(p);
        double sum = 0;
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < t; i++) {
                double e = 0;
                for (int c = 0; c < cols; c++) e += (double) x[i * cols + c] * ((double) q[r * cols + c] - w[r * cols + c]);
                sum += e * e;
            }
        return sum / ((double) rows * t);
    }
}
