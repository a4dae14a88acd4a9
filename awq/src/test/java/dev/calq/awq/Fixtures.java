package dev.calq.awq;

import java.util.Random;

/** Shared test data: synthetic layers with outlier input channels, and the quantizer under test. */
final class Fixtures {
    private Fixtures() {}

    /** Until the shared grid quantizer is merged: asymmetric min/max rounding per group (test use only). */
    static WeightQuantizer quantizer(int bits, int groupSize) {
        int maxq = (1 << bits) - 1;
        return WeightQuantizer.of(groupSize, (w, rows, cols) -> {
            int gs = groupSize > 0 ? groupSize : cols;
            float[] q = new float[w.length];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols; g += gs) {
                    float mn = 0, mx = 0;
                    for (int c = g; c < g + gs; c++) { mn = Math.min(mn, w[r * cols + c]); mx = Math.max(mx, w[r * cols + c]); }
                    float s = mx > mn ? (mx - mn) / maxq : 1;
                    float z = Math.round(-mn / s);
                    for (int c = g; c < g + gs; c++) {
                        float code = Math.clamp(Math.round(w[r * cols + c] / s) + z, 0, maxq);
                        q[r * cols + c] = (code - z) * s;
                    }
                }
            return q;
        });
    }

    /** Random hidden states whose first few channels are {@code outlier} times larger, as in real LLM activations. */
    static float[] hiddenStates(int tokens, int hidden, float outlier, Random rnd) {
        float[] x = new float[tokens * hidden];
        for (int t = 0; t < tokens; t++)
            for (int c = 0; c < hidden; c++)
                x[t * hidden + c] = (float) rnd.nextGaussian() * (c % 17 == 3 ? outlier : 1f);
        return x;
    }

    static LayerInputs capture(SyntheticBlock block, int samples, int tokens, float outlier, long seed) {
        Random rnd = new Random(seed);
        LayerInputs cache = new LayerInputs(0, Long.MAX_VALUE);
        for (int s = 0; s < samples; s++) block.capture(cache, hiddenStates(tokens, block.hidden, outlier, rnd), tokens);
        return cache;
    }

    static double maxRelDiff(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num = Math.max(num, Math.abs(a[i] - b[i]));
            den = Math.max(den, Math.abs(a[i]));
        }
        return num / den;
    }
}
