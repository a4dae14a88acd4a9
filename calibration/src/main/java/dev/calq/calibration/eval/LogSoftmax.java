package dev.calq.calibration.eval;

import dev.calq.calibration.kernels.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** log(sum(exp(x))) of a row of logits, stable (max subtracted) and vectorised; the row's argmax too. */
public final class LogSoftmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private LogSoftmax() {}

    static float max(float[] x, int off, int n) {
        int lanes = F.length(), i = 0;
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i + lanes <= n; i += lanes) m = m.max(FloatVector.fromArray(F, x, off + i));
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, x[off + i]);
        return r;
    }

    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }

    /**
     * log-sum-exp of x[off .. off+n). The exponential and the sum of the lanes are {@link VectorMath}'s: the Vector
     * API's own EXP and ADD reduction change with JIT timing, which made two identical evaluations differ.
     */
    public static double logSumExp(float[] x, int off, int n) {
        float max = max(x, off, n);
        int lanes = F.length(), i = 0;
        FloatVector m = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        for (; i + lanes <= n; i += lanes) acc = acc.add(VectorMath.exp(FloatVector.fromArray(F, x, off + i).sub(m)));
        double s = VectorMath.sum(acc);
        for (; i < n; i++) s += VectorMath.exp(x[off + i] - max);
        return max + Math.log(s);
    }
}
