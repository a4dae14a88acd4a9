package dev.calq.calibration.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.calq.calibration.kernels.VectorMath;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class LogSoftmaxTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void logSumExpMatchesADoubleLoopAtSizesThatAreNotMultiplesOfTheVectorWidth() {
        Random r = new Random(4);
        for (int n : new int[] {1, 7, L, L + 3, 1000, 32000 + 5}) {
            float[] x = row(r, n + 2);
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, x[2 + i]);
            for (int i = 0; i < n; i++) s += Math.exp(x[2 + i] - max);
            // each lane adds n / L exponentials in float: a relative error of a few 1e-7 in the sum at 32000
            assertEquals(max + Math.log(s), LogSoftmax.logSumExp(x, 2, n), 1e-5, "n = " + n);
        }
    }

    /**
     * The bits are those of exactly rounded operations in one order (VectorMath's exp per lane, lanes accumulated
     * in order, then VectorMath's lane tree), which every JIT tier computes alike; lanewise(EXP) and
     * reduceLanes(ADD) give other bits once C2 compiles the caller.
     */
    @Test
    void logSumExpIsTheSameFixedSequenceOfExactlyRoundedOperations() {
        Random r = new Random(5);
        for (int n : new int[] {L - 1, 4 * L, 32000, 32000 + 5}) {
            float[] x = row(r, n);
            float max = Float.NEGATIVE_INFINITY;
            for (float v : x) max = Math.max(max, v);
            float[] lanes = new float[L];
            int i = 0;
            for (; i + L <= n; i += L) for (int j = 0; j < L; j++) lanes[j] += VectorMath.exp(x[i + j] - max);
            for (int h = L / 2; h >= 1; h /= 2) {
                float[] next = new float[L];
                for (int j = 0; j < L; j++) next[j] = lanes[j] + lanes[(j + h) % L];
                lanes = next;
            }
            double s = lanes[0];
            for (; i < n; i++) s += VectorMath.exp(x[i] - max);
            assertEquals(Double.doubleToRawLongBits(max + Math.log(s)), Double.doubleToRawLongBits(LogSoftmax.logSumExp(x, 0, n)), "n = " + n);
        }
    }

    private static float[] row(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (4 * r.nextGaussian() + 3);
        return x;
    }
}
