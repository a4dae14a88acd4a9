package dev.calq.awq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.Projection;
import java.util.List;
import dev.calq.formats.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The clipping search of AWQ, run after the scales are folded in: for every output row and quantization group of a
 * projection, try clamping the weights to max |w| * (1 - i / clipGrid) for i below maxShrink * clipGrid, quantize, and
 * keep the clamp with the lowest mean squared error of that group's partial output x_g . w_g over sampled tokens.
 * i = 0 is no clamp, so a group's error never grows. q_proj and k_proj are skipped as in the references: their
 * outputs meet in the q k^T product, where a per-projection output error says little.
 */
public final class ClipSearch {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** The projections the clip search treats. */
    public static final List<Projection> CLIPPED = List.of(Projection.V, Projection.O, Projection.GATE, Projection.UP, Projection.DOWN);

    /** Summary of one projection's clip search: mean per-group error without and with the chosen clamps. */
    public record ClipResult(Projection projection, double errorBefore, double errorAfter, int clampedGroups, int groups) {}

    private ClipSearch() {}

    /** Searches and applies the clamps for projection {@code p} of {@code block}, using the inputs cached for it. */
    public static ClipResult clip(AwqBlock block, LayerInputs inputs, Projection p, WeightQuantizer quantizer, AwqConfig config) {
        InputSite site = p.site();
        int cols = block.inFeatures(p);
        if (inputs.dim(site) != cols)
            throw new IllegalArgumentException(p + ": cached inputs have width " + inputs.dim(site) + ", the projection reads " + cols);
        float[] w = block.weight(p).clone();
        int rows = w.length / cols;
        int gs = quantizer.groupLength(cols);
        if (cols % gs != 0) throw new IllegalArgumentException(p + ": " + cols + " input channels are not whole groups of " + gs);
        float[] x = sampleTokens(inputs, site, config.clipSampleTokens());
        int ts = x.length / cols;
        int steps = (int) (config.maxShrink() * config.clipGrid());
        double before = 0, after = 0;
        int clamped = 0, groups = 0;
        for (int g0 = 0; g0 < cols; g0 += gs) {
            float[] gram = gram(slab(x, ts, cols, g0, gs), ts, gs);
            float[] wg = slab(w, rows, cols, g0, gs);
            float[] orgMax = new float[rows];
            for (int r = 0; r < rows; r++) {
                float m = 0;
                for (int c = 0; c < gs; c++) m = Math.max(m, Math.abs(wg[r * gs + c]));
                orgMax[r] = m;
            }
            float[] bestMax = orgMax.clone();
            double[] minErr = new double[rows];
            java.util.Arrays.fill(minErr, Double.POSITIVE_INFINITY);
            double[] noClipErr = null;
            for (int i = 0; i < Math.max(1, steps); i++) {
                float shrink = 1f - (float) i / config.clipGrid();
                float[] cur = new float[rows * gs];
                float[] max = new float[rows];
                for (int r = 0; r < rows; r++) {
                    float m = orgMax[r] * shrink;
                    max[r] = m;
                    for (int c = 0; c < gs; c++) cur[r * gs + c] = Math.clamp(wg[r * gs + c], -m, m);
                }
                float[] q = quantizer.fakeQuantize(cur, rows, gs);
                double[] err = groupErrors(gram, wg, q, rows, gs);
                if (i == 0) noClipErr = err;
                for (int r = 0; r < rows; r++) {
                    if (err[r] < minErr[r]) {
                        minErr[r] = err[r];
                        bestMax[r] = max[r];
                    }
                }
            }
            for (int r = 0; r < rows; r++) {
                before += noClipErr[r];
                after += minErr[r];
                groups++;
                if (bestMax[r] < orgMax[r]) clamped++;
                float m = bestMax[r];
                int base = r * cols + g0;
                for (int c = 0; c < gs; c++) w[base + c] = Math.clamp(w[base + c], -m, m);
            }
        }
        block.setWeight(p, w);
        return new ClipResult(p, before / groups, after / groups, clamped, groups);
    }

    /** Every step-th cached token, step = max(1, total / n) as in the references, as [tokens x dim] rows. */
    static float[] sampleTokens(LayerInputs inputs, InputSite site, int n) {
        int d = inputs.dim(site);
        long total = inputs.totalTokens(site);
        long step = Math.max(1, total / n);
        int count = (int) ((total + step - 1) / step);
        float[] out = new float[count * d];
        long index = 0;
        int k = 0;
        for (float[] x : inputs.samples(site)) {
            int t = x.length / d;
            for (int j = 0; j < t; j++, index++)
                if (index % step == 0) System.arraycopy(x, j * d, out, d * k++, d);
        }
        return out;
    }

    /** Columns [from, from + width) of a [rows x cols] matrix, packed. */
    static float[] slab(float[] m, int rows, int cols, int from, int width) {
        float[] out = new float[rows * width];
        for (int r = 0; r < rows; r++) System.arraycopy(m, r * cols + from, out, r * width, width);
        return out;
    }

    /**
     * G = X^T X / ts for one group's inputs x [ts x gs], accumulated in double. The error of a row's weight change d
     * over the sampled tokens, mean_t (x_t . d)^2, is d^T G d: gs^2 work per row and shrink instead of ts * gs.
     */
    static float[] gram(float[] x, int ts, int gs) {
        double[] acc = new double[gs * gs];
        for (int t = 0; t < ts; t++) {
            int off = t * gs;
            for (int i = 0; i < gs; i++) {
                double xi = x[off + i];
                if (xi == 0) continue;
                int row = i * gs;
                for (int j = i; j < gs; j++) acc[row + j] += xi * x[off + j];
            }
        }
        float[] g = new float[gs * gs];
        for (int i = 0; i < gs; i++)
            for (int j = i; j < gs; j++) g[i * gs + j] = g[j * gs + i] = (float) (acc[i * gs + j] / ts);
        return g;
    }

    /** err[r] = (q_r - w_r)^T G (q_r - w_r) for one group: w and q [rows x gs], G from {@link #gram}. */
    static double[] groupErrors(float[] gram, float[] w, float[] q, int rows, int gs) {
        double[] err = new double[rows];
        Parallel.forRange(rows, 1, (from, to) -> {
            float[] d = new float[gs];
            for (int r = from; r < to; r++) {
                for (int c = 0; c < gs; c++) d[c] = q[r * gs + c] - w[r * gs + c];
                double sum = 0;
                for (int i = 0; i < gs; i++) {
                    if (d[i] != 0) sum += (double) d[i] * dot(gram, i * gs, d, gs);
                }
                err[r] = sum;
            }
        });
        return err;
    }

    static float dot(float[] a, int aOff, float[] b, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int bound = F.loopBound(n); i < bound; i += F.length())
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, i), acc);
        float s = dev.calq.calibration.kernels.VectorMath.sum(acc); // fixed order: reproducible runs
        for (; i < n; i++) s += a[aOff + i] * b[i];
        return s;
    }
}
