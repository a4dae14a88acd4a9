package dev.calq.calibration.eval;

/**
 * Sum and sum of squares of a per-token quantity, with llama.cpp's estimate of the uncertainty of its mean:
 * sqrt((mean(x^2) - mean(x)^2) / (n - 1)).
 */
public final class RunningStats {
    private double sum, sum2;
    private long count;

    public void add(double x) {
        sum += x;
        sum2 += x * x;
        count++;
    }

    public void add(RunningStats o) {
        sum += o.sum;
        sum2 += o.sum2;
        count += o.count;
    }

    public long count() { return count; }

    public double mean() { return count == 0 ? Double.NaN : sum / count; }

    public double uncertainty() {
        if (count < 2) return Double.NaN;
        double m = sum / count, var = sum2 / count - m * m;
        return var > 0 ? Math.sqrt(var / (count - 1)) : 0;
    }

    /** exp(mean) for a stats of negative log-likelihoods. */
    public double perplexity() { return Math.exp(mean()); }

    /** d exp(x) = exp(x) dx: the perplexity's uncertainty as llama.cpp prints it. */
    public double perplexityUncertainty() { return perplexity() * uncertainty(); }
}
