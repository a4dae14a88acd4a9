package dev.calq.bench;

import java.util.Random;

/**
 * The codec benchmarks' inputs: rows of small Gaussian weights (the scale of a trained projection) and a log-normal
 * importance per column, drawn in that order from one seeded stream so that every benchmark sees the same data.
 */
record RandomRows(float[] weights, float[] importance) {
    static RandomRows of(long seed, int rows, int cols) {
        Random r = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (0.02 * r.nextGaussian());
        float[] imp = new float[cols];
        for (int j = 0; j < cols; j++) imp[j] = (float) Math.exp(r.nextGaussian());
        return new RandomRows(w, imp);
    }
}
