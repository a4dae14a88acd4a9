package dev.calq.imatrix;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.Projection;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImatrixObserverTest {
    @Test
    void accumulatesSumsOfSquaresPerSharedInputAgainstADirectComputation() {
        Random r = new Random(3);
        int dim = 37;
        ImatrixObserver obs = new ImatrixObserver();
        double[] direct = new double[dim];
        double[] directSum = new double[dim];
        long tokens = 0;
        for (int call = 0; call < 5; call++) {
            int t = 1 + r.nextInt(9);
            float[] x = new float[t * dim];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (1 + i % 5));
            obs.observe(2, InputSite.ATTN_IN, x, t, dim);
            for (int i = 0; i < x.length; i++) {
                direct[i % dim] += (double) x[i] * x[i];
                directSum[i % dim] += x[i];
            }
            tokens += t;
        }
        ActivationStats q = obs.stats(2, Projection.Q);
        assertSame(q, obs.stats(2, Projection.V), "q/k/v share one input");
        assertNull(obs.stats(2, Projection.DOWN));
        assertEquals(tokens, q.count());
        assertArrayEquals(direct, q.sumSq(), 1e-9);
        assertArrayEquals(directSum, q.sum(), 1e-9);
        float[] mean = q.meanSquares();
        for (int i = 0; i < dim; i++) assertEquals(direct[i] / tokens, mean[i], 1e-5 * Math.max(1, mean[i]));
        assertEquals(3, obs.byWeightName(4).size());
        assertTrue(obs.byWeightName(4).containsKey("model.layers.2.self_attn.k_proj.weight"));
    }
}
