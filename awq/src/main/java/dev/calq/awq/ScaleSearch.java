package dev.calq.awq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.Projection;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The activation-aware scale search for one scaling group: try per-channel scales s(ratio) built from the mean input
 * magnitude (and, with duo scaling, the mean relative weight magnitude) for ratio = i / grid, quantize W * s, divide by
 * s again, run the inspected module on the cached inputs and keep the scales with the lowest mean squared error
 * against the unquantized module. Leaves the block's weights as it found them.
 */
public final class ScaleSearch {
    private ScaleSearch() {}

    /**
     * Searches {@code group}; returns null when the group does not apply to this block (v_proj -> o_proj whose shapes
     * differ under grouped-query attention, unless {@link AwqConfig#gqaOutputScaling()} is set).
     */
    public static ScaleChoice search(AwqBlock block, LayerInputs inputs, ScalingGroup group, WeightQuantizer quantizer,
                                     AwqConfig config) {
        int[] sourceOf = sourceChannels(block, group, config);
        if (sourceOf == null) return null;
        int sourceDim = sourceDim(block, group);
        InputSite site = group.site();
        int inDim = inputs.dim(site);
        if (inDim != sourceOf.length)
            throw new IllegalArgumentException(group + ": cached inputs have width " + inDim + ", the projections read " + sourceOf.length);

        List<Projection> scaled = group.scaled();
        Map<Projection, float[]> original = new EnumMap<>(Projection.class);
        for (Projection p : scaled) original.put(p, block.weight(p).clone());

        float[] xMean = pool(ChannelMeans.activation(inputs, site), sourceOf, sourceDim);
        float[] wMean = pool(ChannelMeans.weight(new ArrayList<>(original.values()), inDim, quantizer.groupLength(inDim)),
                sourceOf, sourceDim);

        List<float[]> reference = inspect(block, inputs, group);
        try {
            double[] gridErrors = new double[config.grid()];
            double bestError = Double.POSITIVE_INFINITY;
            double bestRatio = Double.NaN;
            float[] best = null;
            for (int i = 0; i < config.grid(); i++) {
                double ratio = (double) i / config.grid();
                float[] s = scales(xMean, wMean, ratio, config.duoScaling());
                gridErrors[i] = trial(block, inputs, group, quantizer, original, expand(s, sourceOf), reference);
                if (gridErrors[i] < bestError) {
                    bestError = gridErrors[i];
                    bestRatio = ratio;
                    best = s;
                }
            }
            // llm-awq's ratio 0 is the identity; AutoAWQ's duo scaling never tries it, so we do: AWQ then never does
            // worse on the calibration data than plain round-to-nearest.
            double identityError = config.duoScaling()
                    ? trial(block, inputs, group, quantizer, original, null, reference) : gridErrors[0];
            if (best == null || identityError < bestError) {
                best = new float[sourceDim];
                java.util.Arrays.fill(best, 1f);
                bestError = identityError;
                bestRatio = Double.NaN;
            }
            return new ScaleChoice(group, best, expand(best, sourceOf), bestRatio, bestError, identityError, gridErrors);
        } finally {
            for (Projection p : scaled) block.setWeight(p, original.get(p));
        }
    }

    /** The candidate scales for one ratio, normalised so that sqrt(max * min) = 1 as both references do. */
    static float[] scales(float[] xMean, float[] wMean, double ratio, boolean duo) {
        int n = xMean.length;
        double[] s = new double[n];
        double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            double v = duo ? Math.pow(xMean[c], ratio) / (Math.pow(wMean[c], 1 - ratio) + 1e-4) : Math.pow(xMean[c], ratio);
            v = Math.max(v, 1e-4);
            s[c] = v;
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        double norm = Math.sqrt(max * min);
        float[] out = new float[n];
        for (int c = 0; c < n; c++) {
            float v = (float) (s[c] / norm);
            out[c] = Float.isFinite(v) && v != 0 ? v : 1f;
        }
        return out;
    }

    /** Quantizes W * s / s for every scaled projection (s null: plain W), runs the module, restores, returns the MSE. */
    private static double trial(AwqBlock block, LayerInputs inputs, ScalingGroup group, WeightQuantizer quantizer,
                                Map<Projection, float[]> original, float[] s, List<float[]> reference) {
        for (Projection p : group.scaled()) {
            float[] w = original.get(p);
            int cols = s != null ? s.length : block.inFeatures(p);
            int rows = w.length / cols;
            float[] ws = w.clone();
            if (s != null) scaleColumns(ws, s);
            float[] q = quantizer.fakeQuantize(ws, rows, cols);
            if (s != null) unscaleColumns(q, s);
            block.setWeight(p, q);
        }
        List<float[]> out = inspect(block, inputs, group);
        for (Projection p : group.scaled()) block.setWeight(p, original.get(p));
        return meanSquaredError(reference, out);
    }

    static void scaleColumns(float[] w, float[] s) {
        int cols = s.length;
        for (int row = 0; row < w.length; row += cols)
            for (int c = 0; c < cols; c++) w[row + c] *= s[c];
    }

    static void unscaleColumns(float[] w, float[] s) {
        int cols = s.length;
        for (int row = 0; row < w.length; row += cols)
            for (int c = 0; c < cols; c++) w[row + c] /= s[c];
    }

    /** Runs the module the group's error is measured on, over every cached sample. */
    static List<float[]> inspect(AwqBlock block, LayerInputs inputs, ScalingGroup group) {
        InputSite site = group.site();
        List<float[]> xs = inputs.samples(site);
        List<float[]> out = new ArrayList<>(xs.size());
        for (int i = 0; i < xs.size(); i++) {
            float[] x = xs.get(i);
            int t = inputs.tokens(site, i);
            out.add(switch (group) {
                case ATTN_IN -> block.runAttention(x, t);
                case MLP_IN -> block.runMlp(x, t);
                case ATTN_OUT -> block.runLinear(Projection.O, x, t);
                case MLP_OUT -> block.runLinear(Projection.DOWN, x, t);
            });
        }
        return out;
    }

    static double meanSquaredError(List<float[]> a, List<float[]> b) {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < a.size(); i++) {
            float[] x = a.get(i), y = b.get(i);
            for (int j = 0; j < x.length; j++) {
                double d = (double) x[j] - y[j];
                sum += d * d;
            }
            n += x.length;
        }
        return n == 0 ? 0 : sum / n;
    }

    /** The width of the source the scales divide: hidden for the norms, v_proj's or up_proj's output otherwise. */
    static int sourceDim(AwqBlock block, ScalingGroup group) {
        return group.sourceProjection() == null ? block.hiddenSize() : block.outFeatures(group.sourceProjection());
    }

    /**
     * For each input channel of the scaled projections, the source channel whose scale it takes; null when the group
     * cannot be scaled exactly here. v_proj -> o_proj under GQA: o_proj's input column h * headDim + d reads kv head
     * h / (heads / kvHeads), channel d, because the attention output of head h is a weighted sum of that head's values.
     */
    static int[] sourceChannels(AwqBlock block, ScalingGroup group, AwqConfig config) {
        int in = block.inFeatures(group.scaled().getFirst());
        int src = sourceDim(block, group);
        int[] map = new int[in];
        if (in == src) {
            for (int c = 0; c < in; c++) map[c] = c;
            return map;
        }
        if (group != ScalingGroup.ATTN_OUT || !config.gqaOutputScaling()) return null;
        int heads = block.numHeads(), kv = block.numKvHeads(), hd = block.headDim();
        if (kv <= 0 || heads % kv != 0 || in != heads * hd || src != kv * hd) return null;
        int perKv = heads / kv;
        for (int h = 0; h < heads; h++)
            for (int d = 0; d < hd; d++) map[h * hd + d] = (h / perKv) * hd + d;
        return map;
    }

    /** Averages per-input-channel statistics over the input channels that share one source channel. */
    static float[] pool(float[] perInput, int[] sourceOf, int sourceDim) {
        if (perInput.length == sourceDim) return perInput;
        double[] sum = new double[sourceDim];
        int[] count = new int[sourceDim];
        for (int c = 0; c < perInput.length; c++) {
            sum[sourceOf[c]] += perInput[c];
            count[sourceOf[c]]++;
        }
        float[] out = new float[sourceDim];
        for (int c = 0; c < sourceDim; c++) out[c] = (float) (sum[c] / count[c]);
        return out;
    }

    static float[] expand(float[] sourceScales, int[] sourceOf) {
        if (sourceScales.length == sourceOf.length) return sourceScales;
        float[] out = new float[sourceOf.length];
        for (int c = 0; c < out.length; c++) out[c] = sourceScales[sourceOf[c]];
        return out;
    }
}
