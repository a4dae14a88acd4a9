package dev.calq.awq;

import dev.calq.calibration.model.InputSite;
import java.util.List;

/** The per-input-channel magnitudes the scale search starts from. */
public final class ChannelMeans {
    private ChannelMeans() {}

    /** Mean |x| per channel over every cached token at {@code site} (accumulated in double). */
    public static float[] activation(LayerInputs inputs, InputSite site) {
        int d = inputs.dim(site);
        double[] sum = new double[d];
        long rows = 0;
        for (float[] x : inputs.samples(site)) {
            for (int row = 0; row < x.length; row += d) {
                for (int c = 0; c < d; c++) sum[c] += Math.abs(x[row + c]);
                rows++;
            }
        }
        float[] mean = new float[d];
        for (int c = 0; c < d; c++) mean[c] = (float) (sum[c] / rows);
        return mean;
    }

    /**
     * Mean over all output rows of all {@code weights} of |w| / (max |w| of its quantization group + 1e-6), per input
     * channel: how large a channel's weights are relative to the group range that sets the quantization step.
     */
    public static float[] weight(List<float[]> weights, int cols, int groupLength) {
        double[] sum = new double[cols];
        long rows = 0;
        for (float[] w : weights) {
            if (w.length % cols != 0) throw new IllegalArgumentException(w.length + " weights are not rows of " + cols);
            for (int row = 0; row < w.length; row += cols) {
                for (int g = 0; g < cols; g += groupLength) {
                    int end = Math.min(cols, g + groupLength);
                    float max = 0;
                    for (int c = g; c < end; c++) max = Math.max(max, Math.abs(w[row + c]));
                    double inv = 1.0 / (max + 1e-6);
                    for (int c = g; c < end; c++) sum[c] += Math.abs(w[row + c]) * inv;
                }
                rows++;
            }
        }
        float[] mean = new float[cols];
        for (int c = 0; c < cols; c++) mean[c] = (float) (sum[c] / rows);
        return mean;
    }
}
