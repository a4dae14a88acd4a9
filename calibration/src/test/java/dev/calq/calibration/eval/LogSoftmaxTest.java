package dev.calq.calibration.eval;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.kernels.VectorMath;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogSoftmaxTest {
    private static float[] logits(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * 6);
        return x;
    }

    @Test void logSumExpMatchesDoubleOnSizesAroundTheVectorWidth() {
        for (int n : new int[] {1, 3, 15, 16, 17, 31, 33, 100, 32000}) {
            float[] x = logits(n + 2, n);
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, x[1 + i]);
            for (int i = 0; i < n; i++) s += Math.exp(x[1 + i] - max);
            assertEquals(max + Math.log(s), LogSoftmax.logSumExp(x, 1, n), 1e-5, "n=" + n);
        }
    }

    @Test void logSumExpIsTheFixedOrderSumOfVectorMathsExponentials() {
        // The Vector API's EXP and ADD reduction differ between the interpreted fallback and C2's intrinsics, so
        // an evaluation's log-probabilities depended on when the JIT reached this method. The sum is pinned down:
        // lane l adds exp(x[i] - max) for i = l mod L in order, the lanes fold as VectorMath.sum folds them (lane l
        // plus lane l + L/2, then halves again), and the tail is added after.
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (int n : new int[] {5, 16, 47, 4099}) {
            float[] x = logits(n, 11 + n);
            float max = Float.NEGATIVE_INFINITY;
            for (float v : x) max = Math.max(max, v);
            float[] acc = new float[lanes];
            int body = n / lanes * lanes;
            for (int i = 0; i < body; i++) acc[i % lanes] += VectorMath.exp(x[i] - max);
            for (int h = lanes / 2; h >= 1; h /= 2) {
                float[] next = new float[lanes];
                for (int l = 0; l < lanes; l++) next[l] = acc[l] + acc[(l + h) % lanes];
                acc = next;
            }
            double s = acc[0];
            for (int i = body; i < n; i++) s += VectorMath.exp(x[i] - max);
            assertEquals(max + Math.log(s), LogSoftmax.logSumExp(x, 0, n), 0.0, "n=" + n);
        }
    }
}
