package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.quant.GridConfig;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * GPTQ against the full-precision model: the cross term Delta = 2/N X~^T (X - X~) against a plain double loop, the
 * shifted weight W + W Delta^T (H + damp I)^-1 against a double solve (with and without act-order's permutation), the
 * identity it rests on (the asymmetric objective is the H-distance to the shifted weight plus a constant), and a
 * zero shift leaving the weight bit for bit.
 */
class InputShiftTest {
    /** 2/N X~^T (X - X~) summed over samples, in double. */
    private static double[] deltaReference(float[][] full, float[][] quant, int[] tokens, int dim) {
        double[] d = new double[dim * dim];
        long n = 0;
        for (int s = 0; s < full.length; s++) {
            n += tokens[s];
            for (int i = 0; i < dim; i++)
                for (int j = 0; j < dim; j++) {
                    double v = 0;
                    for (int t = 0; t < tokens[s]; t++) v += (double) quant[s][t * dim + i] * (full[s][t * dim + j] - quant[s][t * dim + j]);
                    d[i * dim + j] += v;
                }
        }
        for (int i = 0; i < d.length; i++) d[i] *= 2.0 / n;
        return d;
    }

    @Test
    void deltaMatchesADoubleLoopAtRaggedSizes() {
        Random rnd = new Random(3);
        for (int dim : new int[] {1, 7, 37, 70}) {
            int[] tokens = {13, 5, 29};
            float[][] full = new float[3][], quant = new float[3][];
            InputShiftAccumulator acc = new InputShiftAccumulator("test", dim);
            for (int s = 0; s < 3; s++) {
                quant[s] = TestData.gaussian(rnd, tokens[s] * dim, 1);
                full[s] = quant[s].clone();
                for (int i = 0; i < full[s].length; i++) full[s][i] += (float) (0.3 * rnd.nextGaussian());
                acc.add(full[s], quant[s], tokens[s], dim);
            }
            double[] ref = deltaReference(full, quant, tokens, dim), got = acc.delta();
            double scale = 0;
            for (double v : ref) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-5 * scale + 1e-9, "dim " + dim + " entry " + i);
            assertEquals(47, acc.tokens());
        }
    }

    /** Gauss-Jordan inverse in double. */
    private static double[] inverse(double[] a, int n) {
        double[] m = a.clone(), inv = TestData.identity(n);
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
            for (int k = 0; k < n; k++) {
                double t = m[c * n + k]; m[c * n + k] = m[p * n + k]; m[p * n + k] = t;
                t = inv[c * n + k]; inv[c * n + k] = inv[p * n + k]; inv[p * n + k] = t;
            }
            double d = m[c * n + c];
            for (int k = 0; k < n; k++) { m[c * n + k] /= d; inv[c * n + k] /= d; }
            for (int r = 0; r < n; r++) {
                if (r == c) continue;
                double f = m[r * n + c];
                for (int k = 0; k < n; k++) { m[r * n + k] -= f * m[c * n + k]; inv[r * n + k] -= f * inv[c * n + k]; }
            }
        }
        return inv;
    }

    /** W + shrink W Delta^T (H + damp mean(diag) I)^-1 in double. */
    private static double[] shiftedReference(float[] w, int out, int in, double[] h, double[] delta, double damp, double shrink) {
        double mean = 0;
        for (int i = 0; i < in; i++) mean += h[i * in + i];
        mean /= in;
        double[] hd = h.clone();
        for (int i = 0; i < in; i++) hd[i * in + i] += damp * mean;
        double[] hinv = inverse(hd, in);
        double[] res = new double[out * in];
        for (int r = 0; r < out; r++) {
            double[] c = new double[in];
            for (int i = 0; i < in; i++) for (int j = 0; j < in; j++) c[i] += w[r * in + j] * delta[i * in + j];
            for (int k = 0; k < in; k++) {
                double v = 0;
                for (int i = 0; i < in; i++) v += c[i] * hinv[i * in + k];
                res[r * in + k] = w[r * in + k] + shrink * v;
            }
        }
        return res;
    }

    @Test
    void shiftedWeightMatchesADoubleSolveWithAndWithoutActOrder() {
        Random rnd = new Random(5);
        int out = 9, tokens = 120;
        for (int in : new int[] {19, 40}) {
            float[] xq = TestData.correlated(rnd, tokens, in);
            float[] x = xq.clone();
            for (int i = 0; i < x.length; i++) x[i] += (float) (0.2 * rnd.nextGaussian() * Math.abs(xq[i]));
            double[] h = TestData.hessian(xq, tokens, in);
            InputShiftAccumulator acc = new InputShiftAccumulator("t", in);
            acc.add(x, xq, tokens, in);
            double[] delta = acc.delta();
            float[] w = TestData.gaussian(rnd, out * in, 1);
            for (boolean actOrder : new boolean[] {false, true}) {
                GptqConfig cfg = new GptqConfig(GridConfig.defaults(), actOrder, false, 0.01, 128, true);
                InverseHessian inv = InverseHessian.prepare("t", h, in, cfg);
                for (double shrink : new double[] {1, 0.5}) {
                    float[] got = InputShift.shifted(w, out, in, delta, inv, shrink);
                    double[] ref = shiftedReference(w, out, in, h, delta, 0.01, shrink);
                    double scale = 0;
                    for (int i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i] - w[i]));
                    assertTrue(scale > 1e-3, "the shift is not trivial");
                    for (int i = 0; i < ref.length; i++)
                        assertEquals(ref[i], got[i], 2e-3 * scale, "in " + in + " act-order " + actOrder + " shrink " + shrink + " entry " + i);
                }
            }
        }
    }

    @Test
    void theAsymmetricObjectiveIsTheHessianDistanceToTheShiftedWeightPlusAConstant() {
        Random rnd = new Random(8);
        int in = 12, tokens = 200;
        float[] xq = TestData.correlated(rnd, tokens, in);
        float[] x = xq.clone();
        for (int i = 0; i < x.length; i++) x[i] += (float) (0.3 * rnd.nextGaussian());
        double[] h = TestData.hessian(xq, tokens, in);
        InputShiftAccumulator acc = new InputShiftAccumulator("t", in);
        acc.add(x, xq, tokens, in);
        float[] w = TestData.gaussian(rnd, in, 1);
        InverseHessian inv = InverseHessian.prepare("t", h, in, new GptqConfig(GridConfig.defaults(), false, false, 0, 128, true));
        float[] star = InputShift.shifted(w, 1, in, acc.delta(), inv, 1);
        double constant = Double.NaN;
        for (int trial = 0; trial < 5; trial++) {
            float[] q = TestData.gaussian(rnd, in, 1);
            double objective = 0; // 2/N ||w X - q X~||^2 over the tokens
            for (int t = 0; t < tokens; t++) {
                double r = 0;
                for (int i = 0; i < in; i++) r += w[i] * x[t * in + i] - q[i] * xq[t * in + i];
                objective += r * r * 2.0 / tokens;
            }
            double dist = 0;
            for (int i = 0; i < in; i++) for (int j = 0; j < in; j++) dist += (q[i] - star[i]) * h[i * in + j] * (q[j] - star[j]);
            double c = objective - dist;
            if (trial == 0) constant = c;
            else assertEquals(constant, c, 1e-3 * Math.abs(objective), "trial " + trial);
        }
    }

    @Test
    void aZeroShiftLeavesTheWeightBitForBit() {
        Random rnd = new Random(9);
        int in = 33, out = 4, tokens = 50;
        float[] xq = TestData.correlated(rnd, tokens, in);
        InputShiftAccumulator acc = new InputShiftAccumulator("t", in);
        acc.add(xq, xq, tokens, in);
        float[] w = TestData.gaussian(rnd, out * in, 1);
        w[3] = -0f;
        float[] got = InputShift.shifted(w, out, in, acc.delta(), InverseHessian.prepare("t", TestData.hessian(xq, tokens, in), in, GptqConfig.defaults()), 1);
        for (int i = 0; i < w.length; i++) assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(got[i]), "entry " + i);
    }
}
