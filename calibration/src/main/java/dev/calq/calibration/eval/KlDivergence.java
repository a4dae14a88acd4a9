package dev.calq.calibration.eval;

import java.util.Arrays;

/**
 * KL(base || model) per scored position and its summary as llama.cpp's perplexity tool reports it: mean with
 * uncertainty, percentiles, how often both models put the same token on top, and the base model's perplexity.
 */
public final class KlDivergence {
    private final RunningStats kl = new RunningStats();
    private final RunningStats baseNll = new RunningStats();
    private float[] values = new float[1024];
    private long sameTop;

    /** The summary of a comparison. */
    public record Summary(long positions, double mean, double meanUncertainty, double median, double p99, double max,
                          double sameTop, double sameTopUncertainty, double basePpl) {}

    /** Adds one position: its KL value, whether both argmaxes agree, and the base model's NLL of the next token. */
    public synchronized void add(double klValue, boolean sameTopToken, double baseNllValue) {
        kl.add(klValue);
        baseNll.add(baseNllValue);
        if (sameTopToken) sameTop++;
        int n = (int) kl.count();
        if (n > values.length) values = Arrays.copyOf(values, values.length * 2);
        values[n - 1] = (float) klValue;
    }

    /** KL(P || Q) = sum p (log p - log q) for the base P and the model's log q = logits - lse. */
    public static double position(float[] baseLogProbs, float[] logits, int off, double lse, int vocab) {
        double s = 0;
        for (int i = 0; i < vocab; i++) {
            double lp = baseLogProbs[i];
            if (lp < -30) continue; // p < 1e-13: no measurable contribution
            s += Math.exp(lp) * (lp - (logits[off + i] - lse));
        }
        return s;
    }

    public Summary summary() {
        int n = (int) kl.count();
        float[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        double top = n == 0 ? Double.NaN : (double) sameTop / n;
        double topUnc = n < 2 ? Double.NaN : Math.sqrt(top * (1 - top) / (n - 1));
        return new Summary(n, kl.mean(), kl.uncertainty(), percentile(sorted, 0.5), percentile(sorted, 0.99),
                n == 0 ? Double.NaN : sorted[n - 1], top, topUnc, baseNll.perplexity());
    }

    /** Linear interpolation between order statistics, as llama.cpp computes its KLD percentiles. */
    static double percentile(float[] sorted, double fraction) {
        if (sorted.length == 0) return Double.NaN;
        double p = fraction * (sorted.length - 1);
        int i = (int) p;
        double f = p - i;
        return (1 - f) * sorted[i] + f * sorted[Math.min(i + 1, sorted.length - 1)];
    }
}
