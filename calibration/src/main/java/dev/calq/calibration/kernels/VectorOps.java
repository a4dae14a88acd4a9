package dev.calq.calibration.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import dev.calq.formats.Parallel;

/** Small vectorised helpers for the forward pass; each has a scalar tail for lengths not a multiple of the lanes. */
public final class VectorOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorOps() {}

    /** sum_i x[xOff+i] * y[yOff+i] for i < n. */
    public static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) { // four independent chains hide FMA latency
            s0 = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), s0);
            s1 = FloatVector.fromArray(S, x, xOff + i + L).fma(FloatVector.fromArray(S, y, yOff + i + L), s1);
            s2 = FloatVector.fromArray(S, x, xOff + i + 2 * L).fma(FloatVector.fromArray(S, y, yOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(S, x, xOff + i + 3 * L).fma(FloatVector.fromArray(S, y, yOff + i + 3 * L), s3);
        }
        for (; i + L <= n; i += L)
            s0 = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), s0);
        float s = VectorMath.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    public static float dot(float[] x, float[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("dot: lengths " + x.length + " and " + y.length);
        return dot(x, 0, y, 0, x.length);
    }

    /** y[yOff+i] += alpha * x[xOff+i] for i < n. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= n; i += L)
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
    }

    /** x[xOff+i] += y[yOff+i] for i < n (the residual add). */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L)
            FloatVector.fromArray(S, x, xOff + i).add(FloatVector.fromArray(S, y, yOff + i)).intoArray(x, xOff + i);
        for (; i < n; i++) x[xOff + i] += y[yOff + i];
    }

    /** x += y over the whole of x (y at least as long). */
    public static void add(float[] x, float[] y) {
        add(x, 0, y, 0, x.length);
    }

    /** x[xOff+i] *= s for i < n. */
    public static void scale(float[] x, int xOff, int n, float s) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xOff + i).mul(vs).intoArray(x, xOff + i);
        for (; i < n; i++) x[xOff + i] *= s;
    }

    /**
     * RMSNorm of each of {@code rows} rows of length {@code dim}: out = x / sqrt(mean(x^2) + eps) * weight, as Llama
     * computes it (float32). out may be x. Rows run in parallel when there is enough work.
     */
    public static void rmsNorm(float[] x, float[] weight, float eps, float[] out, int rows, int dim) {
        if (weight.length < dim) throw new IllegalArgumentException("rmsNorm: weight has " + weight.length + " < " + dim);
        if (x.length < rows * dim || out.length < rows * dim)
            throw new IllegalArgumentException("rmsNorm: arrays shorter than " + rows + "x" + dim);
        int grain = Math.max(1, (1 << 15) / Math.max(1, dim));
        Parallel.forRange(rows, grain, (from, to) -> {
            for (int r = from; r < to; r++) rmsNormRow(x, r * dim, weight, eps, out, r * dim, dim);
        });
    }

    /** One row of {@link #rmsNorm}. */
    public static void rmsNormRow(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int dim) {
        float ss = dot(x, xOff, x, xOff, dim);
        float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
        FloatVector vi = FloatVector.broadcast(S, inv);
        int i = 0;
        for (; i + L <= dim; i += L)
            FloatVector.fromArray(S, x, xOff + i).mul(vi).mul(FloatVector.fromArray(S, weight, i)).intoArray(out, outOff + i);
        for (; i < dim; i++) out[outOff + i] = x[xOff + i] * inv * weight[i];
    }

    /** out[i] = silu(g[i]) * u[i] = g / (1 + exp(-g)) * u, the SwiGLU gate; out may alias g or u. */
    public static void siluMul(float[] g, int gOff, float[] u, int uOff, float[] out, int outOff, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector vg = FloatVector.fromArray(S, g, gOff + i);
            FloatVector sig = one.div(one.add(VectorMath.exp(vg.neg())));
            vg.mul(sig).mul(FloatVector.fromArray(S, u, uOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) { // the lanes' operations exactly, so a value does not depend on where the vector loop ends
            float v = g[gOff + i];
            out[outOff + i] = v * (1f / (1f + VectorMath.exp(-v))) * u[uOff + i];
        }
    }

    /**
     * siluMul over whole arrays (g.length elements), in parallel chunks: an MLP's [tokens x intermediate] is 16 M
     * values at 2048 tokens of a 1B model. A value does not depend on its chunk (the tail computes what the lanes do).
     */
    public static void siluMul(float[] g, float[] u, float[] out) {
        Parallel.forRange(g.length, 1 << 15, (from, to) -> siluMul(g, from, u, from, out, from, to - from));
    }

    /** In-place softmax of x[off, off+n): exp(x - max) / sum; n = 0 is a no-op. */
    public static void softmax(float[] x, int off, int n) {
        if (n <= 0) return;
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector vm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i + L <= n; i += L) vm = vm.max(FloatVector.fromArray(S, x, off + i));
            max = vm.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        if (max == Float.NEGATIVE_INFINITY) { // every position masked: no distribution, all weights zero (not NaN)
            java.util.Arrays.fill(x, off, off + n, 0f);
            return;
        }
        FloatVector vmax = FloatVector.broadcast(S, max), vsum = FloatVector.zero(S);
        i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, off + i).sub(vmax));
            e.intoArray(x, off + i);
            vsum = vsum.add(e);
        }
        float sum = VectorMath.sum(vsum);
        for (; i < n; i++) {
            float e = VectorMath.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, n, 1f / sum);
    }

    /** Runs each helper on small rows until C2 compiles it (the Vector API is boxed and very slow before). */
    static void warmUp() {
        float[] x = new float[100], y = new float[100], w = new float[100];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 13) * 0.1f - 0.6f;
            w[i] = 1f;
        }
        for (int i = 0; i < 5000; i++) {
            System.arraycopy(x, 0, y, 0, x.length);
            softmax(y, 0, y.length);
            siluMul(x, 0, x, 0, y, 0, x.length);
            rmsNormRow(x, 0, w, 1e-5f, y, 0, x.length);
            axpy(0.5f, x, 0, y, 0, x.length);
            add(y, 0, x, 0, x.length);
        }
    }
}
