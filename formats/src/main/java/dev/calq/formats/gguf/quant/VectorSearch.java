package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.QuantMath.GROUP_MAX_EPS;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector forms of the two hot scale searches of {@link ScaleSearch}: each SIMD lane evaluates one candidate
 * scale, walking the group's elements in the scalar order, so every lane's sums are the very floats the scalar
 * search computes; the candidates are then compared one after another exactly as the scalar loop does. The
 * results are therefore identical to {@link ScaleSearch#makeQx} and {@link ScaleSearch#makeQkx} (tests check
 * this). One instance per thread: it owns scratch arrays.
 */
final class VectorSearch {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int V = F.length();
    private static final float MAGIC = 12582912f;
    /** The steps of make_qx_quants' candidate scales, padded to whole vectors. */
    private static final float[] QX_STEPS = new float[(18 + V - 1) / V * V];

    /** The integer numerators t + table[0], t = -7..7, of the IQ4 candidate inverse scales, padded. */
    private static final float[] IQ4_STEPS = new float[(15 + V - 1) / V * V];

    static {
        for (int k = 0; k < 18; k++) QX_STEPS[k] = k < 9 ? k - 9 : k - 8;
        for (int t = 0; t < 15; t++) IQ4_STEPS[t] = t - 7 - 127;
    }

    private final float[] laneIndex = new float[V];
    private final int[] levels = new int[256 * V];
    private final float[] a = new float[V];
    private final float[] b = new float[V];
    private final float[] c = new float[V];
    private final float[] d = new float[V];
    private final float[] w = new float[256];

    private static final ThreadLocal<VectorSearch> LOCAL = ThreadLocal.withInitial(VectorSearch::new);

    /** This thread's instance. */
    static VectorSearch local() { return LOCAL.get(); }

    VectorSearch() {
        for (int k = 0; k < V; k++) laneIndex[k] = k;
    }

    private static IntVector nearest(FloatVector t) {
        return t.add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000);
    }

    /** Same contract and result as {@link ScaleSearch#makeQx} (rmseType 1 with qw, or 1..4 without). */
    float makeQx(int n, int nmax, float[] x, int xo, byte[] L, int lo, int rmseType, float[] qw, int qwo) {
        float max = QuantMath.signedAbsMax(x, xo, n);
        float amax = Math.abs(max);
        if (amax < GROUP_MAX_EPS || rmseType <= 0) return ScaleSearch.makeQx(n, nmax, x, xo, L, lo, rmseType, qw, qwo);
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            w[i] = qw != null ? qw[qwo + i] : switch (rmseType) {
                case 1 -> xi * xi;
                case 2 -> 1;
                case 3 -> Math.abs(xi);
                default -> (float) Math.sqrt(Math.abs(xi));
            };
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            sumlx += w[i] * xi * l;
            suml2 += w[i] * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        float bestIscale = iscale;
        // The 18 candidates is = -9..-1, 1..9 as lanes.
        for (int first = 0; first < 18; first += V) {
            FloatVector is = FloatVector.fromArray(F, QX_STEPS, first);
            FloatVector isc = is.mul(0.1f).add((float) nmax).neg().div(max);
            FloatVector slx = FloatVector.zero(F);
            FloatVector sl2 = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                FloatVector lf = nearest(isc.mul(xi)).max(-nmax).min(nmax - 1).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
                slx = slx.add(lf.mul(w[i] * xi));
                sl2 = sl2.add(lf.mul(w[i]).mul(lf));
            }
            slx.intoArray(a, 0);
            sl2.intoArray(b, 0);
            isc.intoArray(c, 0);
            for (int lane = 0; lane < V && first + lane < 18; lane++) {
                if (b[lane] > 0 && a[lane] * a[lane] > best * b[lane]) {
                    scale = a[lane] / b[lane];
                    best = scale * a[lane];
                    bestIscale = c[lane];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(bestIscale * x[xo + i]))));
        }
        return scale;
    }

    /**
     * The 15 candidate scales of the IQ4 search (inverse scale (t + table[0]) / max, t = -7..7) for one block of
     * 32, lanes in place of the scalar loop; starts from the scalar first guess (d, best) and returns the final d.
     * Each lane finds the nearest table entry by counting thresholds, which reproduces best_index_int8 exactly.
     */
    float iq4Candidates(float[] x, int xb, float[] weight, float max, float d, float best) {
        byte[] values = Iq4Search.VALUES;
        for (int first = 0; first < 15; first += V) {
            FloatVector id = FloatVector.fromArray(F, IQ4_STEPS, first).div(max);
            FloatVector sqx = FloatVector.zero(F);
            FloatVector sq2 = FloatVector.zero(F);
            for (int j = 0; j < 32; j++) {
                float xj = x[xb + j];
                FloatVector al = id.mul(xj);
                FloatVector lo = FloatVector.broadcast(F, values[0]);
                FloatVector hi = FloatVector.broadcast(F, values[1]);
                for (int k = 1; k < 15; k++) {
                    VectorMask<Float> above = al.compare(VectorOperators.GE, (float) values[k]);
                    lo = lo.blend(values[k], above);
                    hi = hi.blend(values[k + 1], above);
                }
                VectorMask<Float> nearLow = al.sub(lo).compare(VectorOperators.LT, hi.sub(al));
                FloatVector q = hi.blend(lo, nearLow);
                FloatVector wq = q.mul(weight[j]);
                sqx = sqx.add(wq.mul(xj));
                sq2 = sq2.add(wq.mul(q));
            }
            sqx.intoArray(a, 0);
            sq2.intoArray(b, 0);
            for (int lane = 0; lane < V && first + lane < 15; lane++) {
                if (b[lane] > 0 && a[lane] * a[lane] > best * b[lane]) {
                    d = a[lane] / b[lane];
                    best = d * a[lane];
                }
            }
        }
        return d;
    }

    /** Same contract and result as {@link ScaleSearch#makeQkx}; weights must not be null. */
    float makeQkx(int n, int nmax, float[] x, int xo, float[] weights, byte[] L, int lo, float[] theMin, int tmo,
                  float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            sumW += weights[i];
            sumX += weights[i] * xi;
        }
        if (min > 0) min = 0;
        if (max <= min || nstep < 1) {
            byte[] unused = new byte[n];
            return ScaleSearch.makeQkx(n, nmax, x, xo, weights, L, lo, theMin, tmo, unused, rmin, rdelta, nstep, useMad);
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
            L[lo + i] = (byte) l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        // A chosen candidate moves `min`, which the later candidates depend on: evaluate a batch of lanes, take the
        // first improvement in candidate order, and re-evaluate the following candidates from the new minimum.
        int next = 0;
        while (next <= nstep) {
            FloatVector isv = FloatVector.fromArray(F, laneIndex, 0).add(next);
            float range = max - min;
            FloatVector isc = isv.mul(rdelta).add(rmin).add((float) nmax).div(range);
            FloatVector sl = FloatVector.zero(F);
            FloatVector sl2 = FloatVector.zero(F);
            FloatVector sxl = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                IntVector li = nearest(isc.mul(xi - min)).max(0).min(nmax);
                li.intoArray(levels, i * V);
                FloatVector lf = li.convert(VectorOperators.I2F, 0).reinterpretAsFloats();
                FloatVector wl = lf.mul(weights[i]);
                sl = sl.add(wl);
                sl2 = sl2.add(wl.mul(lf));
                sxl = sxl.add(wl.mul(xi));
            }
            FloatVector det = sl2.mul(sumW).sub(sl.mul(sl));
            FloatVector thisScale = sxl.mul(sumW).sub(sl.mul(sumX)).div(det);
            FloatVector thisMin = sl2.mul(sumX).sub(sl.mul(sxl)).div(det);
            VectorMask<Float> positive = thisMin.compare(VectorOperators.GT, 0f);
            thisScale = thisScale.blend(sxl.div(sl2), positive);
            thisMin = thisMin.blend(0f, positive);
            FloatVector err = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                FloatVector lf = IntVector.fromArray(I, levels, i * V).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
                FloatVector diff = thisScale.mul(lf).add(thisMin).sub(x[xo + i]);
                diff = useMad ? diff.abs() : diff.mul(diff);
                err = err.add(diff.mul(weights[i]));
            }
            det.intoArray(a, 0);
            err.intoArray(b, 0);
            thisScale.intoArray(c, 0);
            thisMin.intoArray(d, 0);
            int advanced = next + V;
            for (int lane = 0; lane < V && next + lane <= nstep; lane++) {
                if (a[lane] > 0 && b[lane] < bestError) {
                    for (int i = 0; i < n; i++) L[lo + i] = (byte) levels[i * V + lane];
                    bestError = b[lane];
                    scale = c[lane];
                    boolean moved = Float.floatToRawIntBits(d[lane]) != Float.floatToRawIntBits(min);
                    min = d[lane];
                    if (moved) {
                        advanced = next + lane + 1;
                        break;
                    }
                }
            }
            next = advanced;
        }
        theMin[tmo] = -min;
        return scale;
    }
}
