package dev.calq.calibration.runner;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar for the layer-by-layer run: layer, samples done, tokens/s and an ETA for the whole run. On a
 * terminal it redraws one line; otherwise (logs, CI) it prints a line per finished layer only.
 */
final class Progress {
    private final PrintStream out;
    private final boolean interactive;
    private final int layers;
    private final long tokensPerPass;
    private final long startNanos = System.nanoTime();
    private long tokensDone;
    private long lastDraw;

    Progress(PrintStream out, int layers, long tokensPerPass) {
        this.out = out;
        this.interactive = System.console() != null && out == System.err;
        this.layers = layers;
        this.tokensPerPass = tokensPerPass;
    }

    /** Records {@code tokens} more processed tokens in {@code layer} (0-based), pass {@code pass} of {@code passes}. */
    void advance(int layer, int pass, int passes, int samplesDone, int samples, long tokens, double fractionOfRunDone) {
        tokensDone += tokens;
        long now = System.nanoTime();
        if (!interactive || (now - lastDraw < 200_000_000L && samplesDone < samples)) return;
        lastDraw = now;
        double secs = (now - startNanos) / 1e9;
        double eta = fractionOfRunDone > 0 ? secs / fractionOfRunDone - secs : 0;
        int width = 24, filled = (int) Math.round(width * (double) samplesDone / samples);
        out.printf(Locale.ROOT, "\rlayer %d/%d pass %d/%d [%s%s] %d/%d samples  %,.0f tok/s  ETA %s   ",
                layer + 1, layers, pass, passes, "#".repeat(filled), ".".repeat(width - filled), samplesDone, samples,
                tokensDone / Math.max(secs, 1e-9), formatSeconds(eta));
        out.flush();
    }

    void layerDone(int layer, double seconds, double fractionOfRunDone) {
        double secs = (System.nanoTime() - startNanos) / 1e9;
        double eta = fractionOfRunDone > 0 ? secs / fractionOfRunDone - secs : 0;
        out.printf(Locale.ROOT, "%slayer %d/%d done in %.1fs  (%,.0f tok/s overall, ETA %s)%n", interactive ? "\r" : "",
                layer + 1, layers, seconds, tokensDone / Math.max(secs, 1e-9), formatSeconds(eta));
    }

    static String formatSeconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
    }

    long tokensPerPass() { return tokensPerPass; }
}
