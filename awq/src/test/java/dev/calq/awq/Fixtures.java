package dev.calq.awq;

import java.util.Random;

/** Shared test data: synthetic layers with outlier input channels, and the quantizer under test. */
final class Fixtures {
    private Fixtures() {}

    /** The shared grid quantizer, asymmetric (AWQ's zero-point default); groupSize 0 or less: one group per row. */
    static WeightQuantizer quantizer(int bits, int groupSize) {
        return new GridQuantizer(dev.calq.calibration.quant.GridConfig.defaults().withBits(bits)
                .withGroupSize(groupSize > 0 ? groupSize : -1).withSym(false));
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
