package dev.calq.calibration.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reproducible vector math. The Vector API leaves two things open that would make two identical runs differ:
 * the order of {@code reduceLanes(ADD)} on floats, and the accuracy of {@code lanewise(EXP)} (an intrinsic when
 * C2 has compiled the caller, Math.exp lane by lane before). Both change with JIT timing; calq's outputs must be
 * byte-identical from run to run, so these helpers use only exactly-rounded operations in a fixed order.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] FOLD = new VectorShuffle[Integer.numberOfTrailingZeros(L)];

    static {
        for (int level = 0, h = L / 2; h >= 1; level++, h /= 2) FOLD[level] = VectorShuffle.iota(S, h, 1, true);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float MIN_X = -87.33f, MAX_X = 88.0f; // 2^n stays a normal float

    private VectorMath() {}

    /** The sum of the lanes, always added as the same tree (lane i + lane i+L/2, then halves again). */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> s : FOLD) v = v.add(v.rearrange(s));
        return v.lane(0);
    }

    private static final VectorSpecies<Double> SD = DoubleVector.SPECIES_PREFERRED;
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Double>[] FOLD_D = new VectorShuffle[Integer.numberOfTrailingZeros(SD.length())];

    static {
        for (int level = 0, h = SD.length() / 2; h >= 1; level++, h /= 2) FOLD_D[level] = VectorShuffle.iota(SD, h, 1, true);
    }

    /**
     * The same fixed tree for double lanes. It is also the order C2's compiled reduceLanes(ADD) gave here (AVX-512),
     * while the interpreted fallback adds lane by lane: a factor computed with reduceLanes changed with JIT timing.
     */
    public static double sum(DoubleVector v) {
        for (VectorShuffle<Double> s : FOLD_D) v = v.add(v.rearrange(s));
        return v.lane(0);
    }

    /**
     * e^x per lane, within 2 ulp of the exact value for x in [-87.33, 88]; inputs below give about 1e-38 instead of
     * 0, inputs above saturate at e^88. Range reduction x = n ln2 + r, then a degree-7 Taylor polynomial in r.
     */
    public static FloatVector exp(FloatVector x) {
        x = x.max(MIN_X).min(MAX_X);
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, 1f / 5040);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 720));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)} (same operations), for the tails of vector loops. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, MIN_X), MAX_X);
        float t = Math.fma(x, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = 1f / 5040;
        p = Math.fma(p, r, 1f / 720);
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }
}
