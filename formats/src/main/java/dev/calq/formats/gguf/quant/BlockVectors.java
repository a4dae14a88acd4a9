package dev.calq.formats.gguf.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector helpers for the 32-element reference quantizers (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 without importance).
 * Reductions return exactly what ggml's sequential loops return, including which of two equal-magnitude or
 * differently signed zero elements wins, and the per-element rounding is the same float arithmetic.
 */
final class BlockVectors {
    /** At most 16 lanes so that whole vectors tile a 32-element block. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() > 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    private static final int V = F.length();

    private BlockVectors() {}

    /** The first element of largest magnitude, or +0 when all are zero (ggml's amax/max scan with strict <). */
    static float signedAbsMax(float[] x, int off) {
        float amax = absMax(x, off);
        if (amax == 0) return 0.0f;
        for (int j = 0; ; j++) if (Math.abs(x[off + j]) == amax) return x[off + j];
    }

    /** Largest magnitude of 32 elements. */
    static float absMax(float[] x, int off) {
        FloatVector m = FloatVector.fromArray(F, x, off).abs();
        for (int k = V; k < 32; k += V) m = m.max(FloatVector.fromArray(F, x, off + k).abs());
        return m.reduceLanes(VectorOperators.MAX);
    }

    /** The first element equal to the minimum of 32 (a sequential `if (v < min)` scan keeps the first of 0 and -0). */
    static float min(float[] x, int off) {
        FloatVector m = FloatVector.fromArray(F, x, off);
        for (int k = V; k < 32; k += V) m = m.min(FloatVector.fromArray(F, x, off + k));
        return firstEqual(x, off, m.reduceLanes(VectorOperators.MIN));
    }

    /** The first element equal to the maximum of 32. */
    static float max(float[] x, int off) {
        FloatVector m = FloatVector.fromArray(F, x, off);
        for (int k = V; k < 32; k += V) m = m.max(FloatVector.fromArray(F, x, off + k));
        return firstEqual(x, off, m.reduceLanes(VectorOperators.MAX));
    }

    private static float firstEqual(float[] x, int off, float v) {
        for (int j = 0; j < 32; j++) if (x[off + j] == v) return x[off + j];
        return v; // NaN input: no element compares equal
    }

    /** q_j = min(maxQ, (int) ((x_j - sub) * id + add)), truncating as C's float-to-integer conversion does. */
    static void truncatedLevels(float[] x, int off, float sub, float id, float add, int maxQ, int[] q) {
        for (int k = 0; k < 32; k += V) {
            FloatVector v = FloatVector.fromArray(F, x, off + k).sub(sub).mul(id).add(add);
            ((IntVector) v.convert(VectorOperators.F2I, 0)).min(maxQ).intoArray(q, k);
        }
    }

    /** q_j = roundf(x_j * id): half away from zero, via truncation and the exact fractional part. */
    static void roundedLevels(float[] x, int off, float id, int[] q) {
        for (int k = 0; k < 32; k += V) {
            FloatVector v = FloatVector.fromArray(F, x, off + k).mul(id);
            FloatVector a = v.abs();
            IntVector t = (IntVector) a.convert(VectorOperators.F2I, 0);
            FloatVector frac = a.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
            VectorMask<Integer> up = frac.compare(VectorOperators.GE, 0.5f).cast(t.species());
            IntVector r = t.add(1, up);
            VectorMask<Integer> negative = v.compare(VectorOperators.LT, 0f).cast(t.species());
            r.lanewise(VectorOperators.NEG, negative).intoArray(q, k);
        }
    }
}
