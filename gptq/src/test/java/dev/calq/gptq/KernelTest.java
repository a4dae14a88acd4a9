package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KernelTest {
    @Test
    void triangularInverseMatchesEjmlsScalarInverse() {
        Random rnd = new Random(4);
        for (int n : new int[] {1, 3, 5, 37, 100}) {
            double[] l = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) l[i * n + j] = rnd.nextGaussian() * 0.3;
                l[i * n + i] = 1 + rnd.nextDouble();
                for (int j = i + 1; j < n; j++) l[i * n + j] = 99; // ignored
            }
            double[] ref = l.clone();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) ref[i * n + j] = 0;
            org.ejml.dense.row.decomposition.TriangularSolver_DDRM.invertLower(ref, n);
            double[] x = TriangularInverse.invertLower(l, n);
            for (int i = 0; i < n * n; i++) assertEquals(ref[i], x[i], 1e-9 * (1 + Math.abs(ref[i])), "n " + n + " at " + i);
        }
    }

    @Test
    void hessianObserverEqualsADirectDoubleComputation() {
        Random rnd = new Random(2);
        for (int dim : new int[] {1, 7, 37, 100}) {
            HessianObserver obs = new HessianObserver();
            float[] all = new float[0];
            int total = 0;
            for (int sample = 0; sample < 3; sample++) {
                int tokens = 5 + 11 * sample;
                float[] x = TestData.gaussian(rnd, tokens * dim, 1.5);
                obs.observe(2, dev.calq.calibration.model.InputSite.MLP_IN, x, tokens, dim);
                float[] grown = java.util.Arrays.copyOf(all, all.length + x.length);
                System.arraycopy(x, 0, grown, all.length, x.length);
                all = grown;
                total += tokens;
            }
            double[] ref = TestData.hessian(all, total, dim);
            double[] h = obs.hessian(2, dev.calq.calibration.model.InputSite.MLP_IN);
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], h[i], 1e-5 * (1 + Math.abs(ref[i])), "dim " + dim + " at " + i);
            assertEquals(total, obs.accumulator(2, dev.calq.calibration.model.InputSite.MLP_IN).tokens());
        }
    }

    @Test
    void inverseHessianFactorIsTheUpperCholeskyFactorOfTheDampedInverse() {
        Random rnd = new Random(3);
        int n = 23;
        double[] h = TestData.hessian(TestData.correlated(rnd, 40, n), 40, n);
        InverseHessian inv = InverseHessian.prepare("t", h, n, dev.calq.gptq.GptqConfig.defaults().withActOrder(true));
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i * n + i];
        mean /= n;
        int[] p = inv.perm();
        for (int i = 1; i < n; i++) assertTrue(h[p[i - 1] * n + p[i - 1]] >= h[p[i] * n + p[i]]);
        // (U^T U) (H_perm + damp I) = I
        float[] u = inv.upper();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) assertEquals(0f, u[i * n + j]);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    double utu = 0;
                    for (int m = 0; m < n; m++) utu += (double) u[m * n + i] * u[m * n + k];
                    double hk = h[p[k] * n + p[j]] + (k == j ? 0.01 * mean : 0);
                    s += utu * hk;
                }
                assertEquals(i == j ? 1 : 0, s, 2e-3, i + "," + j);
            }
    }
}
