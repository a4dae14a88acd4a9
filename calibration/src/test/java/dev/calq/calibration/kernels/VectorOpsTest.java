package dev.calq.calibration.kernels;

import static dev.calq.calibration.kernels.MatMulTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorOpsTest {
    private static final int[] SIZES = {0, 1, 7, 16, 31, 64, 100, 257};
    private final Random rnd = new Random(7);

    @Test
    void dotMatchesDoubleLoop() {
        for (int n : SIZES) {
            float[] x = random(n + 3, 1), y = random(n + 5, 1);
            double s = 0, abs = 0;
            for (int i = 0; i < n; i++) {
                double t = (double) x[3 + i] * y[5 + i];
                s += t;
                abs += Math.abs(t);
            }
            assertClose(s, abs, n, VectorOps.dot(x, 3, y, 5, n), "dot n=" + n);
        }
    }

    @Test
    void axpyAddAndScaleMatchScalar() {
        for (int n : SIZES) {
            float[] x = random(n + 2, 1), y = random(n + 4, 1);
            float[] y1 = y.clone(), y2 = y.clone(), y3 = y.clone();
            VectorOps.axpy(0.75f, x, 2, y1, 4, n);
            VectorOps.add(y2, 4, x, 2, n);
            VectorOps.scale(y3, 4, n, -1.5f);
            for (int i = 0; i < y.length; i++) {
                boolean in = i >= 4 && i < 4 + n;
                assertClose(in ? 0.75 * x[i - 2] + y[i] : y[i], in ? Math.abs(0.75 * x[i - 2]) + Math.abs(y[i]) : 0, 2, y1[i], "axpy " + i);
                assertClose(in ? (double) x[i - 2] + y[i] : y[i], in ? Math.abs(x[i - 2]) + Math.abs(y[i]) : 0, 2, y2[i], "add " + i);
                assertClose(in ? -1.5 * y[i] : y[i], Math.abs(1.5 * y[i]), 1, y3[i], "scale " + i);
            }
        }
    }

    @Test
    void rmsNormMatchesDoubleLoop() {
        for (int dim : new int[] {1, 7, 16, 100, 512})
            for (int rows : new int[] {1, 3, 70}) {
                float[] x = random(rows * dim, 3), w = random(dim, 1), out = new float[rows * dim];
                float eps = 1e-5f;
                VectorOps.rmsNorm(x, w, eps, out, rows, dim);
                for (int r = 0; r < rows; r++) {
                    double ss = 0;
                    for (int i = 0; i < dim; i++) ss += (double) x[r * dim + i] * x[r * dim + i];
                    double inv = 1 / Math.sqrt(ss / dim + eps);
                    for (int i = 0; i < dim; i++) {
                        double e = x[r * dim + i] * inv * w[i];
                        assertClose(e, Math.abs(e), dim + 4, out[r * dim + i], "rmsNorm dim=" + dim + " r=" + r + " i=" + i);
                    }
                }
                VectorOps.rmsNorm(x, w, eps, x, rows, dim); // in place gives the same
                for (int i = 0; i < x.length; i++) assertEquals(out[i], x[i]);
            }
    }

    @Test
    void siluMulMatchesDoubleFormula() {
        for (int n : SIZES) {
            float[] g = random(n + 1, 8), u = random(n + 2, 2), out = new float[n + 3];
            VectorOps.siluMul(g, 1, u, 2, out, 3, n);
            for (int i = 0; i < n; i++) {
                double v = g[1 + i], e = v / (1 + Math.exp(-v)) * u[2 + i];
                assertClose(e, Math.abs(e), 20, out[3 + i], "silu n=" + n + " i=" + i);
            }
            assertEquals(0f, out[0]);
        }
    }

    @Test
    void siluMulOfAValueDoesNotDependOnWhereTheVectorLoopEnds() {
        // A batch of sequences runs the MLP on more rows at once: an element in the scalar tail of one call is in
        // the vector body of the other, and both must give the same bits.
        int n = 53;
        float[] g = random(n, 8), u = random(n, 2), whole = new float[n];
        VectorOps.siluMul(g, 0, u, 0, whole, 0, n);
        for (int from = 1; from < n; from++) {
            float[] part = new float[n - from];
            VectorOps.siluMul(g, from, u, from, part, 0, n - from);
            for (int i = 0; i < part.length; i++) assertEquals(whole[from + i], part[i], 0f, "from=" + from + " i=" + i);
        }
    }

    @Test
    void softmaxMatchesDoubleAndSumsToOne() {
        for (int n : SIZES) {
            if (n == 0) continue;
            float[] x = random(n + 4, 10);
            x[2] = Float.NEGATIVE_INFINITY; // a masked position
            float[] orig = x.clone();
            VectorOps.softmax(x, 2, n);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, orig[2 + i]);
            for (int i = 0; i < n; i++) sum += Math.exp(orig[2 + i] - max);
            double total = 0;
            for (int i = 0; i < n; i++) {
                double e = n == 1 ? 0 : Math.exp(orig[2 + i] - max) / sum;
                assertClose(e, e, 4 * n + 20, x[2 + i], "softmax n=" + n + " i=" + i);
                total += x[2 + i];
            }
            if (n > 1) assertClose(1, 1, 4 * n + 20, (float) total, "softmax total n=" + n);
            assertEquals(orig[0], x[0]);
            assertEquals(orig[n + 3], x[n + 3]);
        }
        float[] masked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        VectorOps.softmax(masked, 0, 2);
        assertEquals(0f, masked[0]);
    }

    private float[] random(int size, float scale) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return x;
    }
}
