package dev.calq.calibration.kernels;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void expIsWithinTwoUlpOfTheExactValueAndVectorMatchesScalarBitForBit() {
        Random r = new Random(1);
        float[] x = new float[4096], v = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 175 - 87);
        x[0] = 0f; x[1] = -87.3f; x[2] = 87.9f; x[3] = 1e-8f;
        for (int i = 0; i + L <= x.length; i += L) VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(v, i);
        for (int i = 0; i < x.length; i++) {
            double exact = Math.exp((double) x[i]);
            assertEquals(exact, v[i], 2 * Math.ulp((float) exact), "exp(" + x[i] + ")");
            assertEquals(Float.floatToIntBits(VectorMath.exp(x[i])), Float.floatToIntBits(v[i]), "scalar twin at " + x[i]);
        }
    }

    @Test
    void expSaturatesInsteadOfOverflowing() {
        assertTrue(VectorMath.exp(Float.NEGATIVE_INFINITY) >= 0f && VectorMath.exp(Float.NEGATIVE_INFINITY) < 1e-37f);
        assertTrue(Float.isFinite(VectorMath.exp(1000f)));
    }

    @Test
    void sumAddsEveryLaneInAFixedTree() {
        Random r = new Random(2);
        float[] x = new float[L];
        for (int i = 0; i < L; i++) x[i] = (float) r.nextGaussian();
        double exact = 0;
        for (float f : x) exact += f;
        float tree = tree(x, 0, L);
        float s = VectorMath.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0));
        assertEquals(exact, s, 1e-5);
        assertEquals(Float.floatToIntBits(tree), Float.floatToIntBits(s));
    }

    /** Lane i + lane i+h for h = L/2, L/4, ...: the pairing VectorMath.sum promises. */
    private static float tree(float[] x, int from, int n) {
        float[] v = java.util.Arrays.copyOfRange(x, from, from + n);
        for (int h = n / 2; h >= 1; h /= 2) {
            float[] next = new float[n];
            for (int i = 0; i < n; i++) next[i] = v[i] + v[(i + h) % n];
            v = next;
        }
        return v[0];
    }
}
