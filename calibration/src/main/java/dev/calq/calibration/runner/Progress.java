package dev.calq.calibration.runner;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of the layer-by-layer run: layer, stage, tokens done in the current pass, the rate and an ETA for the
 * whole run. On a terminal it redraws one line at most five times a second; otherwise (logs, CI) it prints a line
 * at most every 30 seconds inside a layer and one per finished layer.
 *
 * <p>The rate is one figure throughout, the same one the run's closing line gives: calibration tokens through the
 * whole model per second, i.e. tokens x layers finished (fractionally) / layers / seconds. A pass that stops early
 * or a weight update counts as time, not as more tokens.
 */
final class Progress {
    private static final long REDRAW_NANOS = 200_000_000L, LOG_NANOS = 30_000_000_000L;
    private final PrintStream out;
    private final boolean interactive;
    private final int layers;
    private final long tokensPerPass;
    private final long startNanos = System.nanoTime();
    private long lastDraw = startNanos;
    private long passTokens;

    Progress(PrintStream out, int layers, long tokensPerPass) {
        this.out = out;
        this.interactive = System.console() != null && out == System.err;
        this.layers = layers;
        this.tokensPerPass = tokensPerPass;
    }

    /**
     * Records {@code tokens} more tokens of sample {@code samplesDone} of {@code samples} in {@code layer} (0-based),
     * in pass {@code pass} of {@code passes} ({@code stage} names what it observes); {@code layersDone} is the
     * (fractional) number of layers this run has finished, {@code layersLeft} how many it had to do.
     */
    void advance(int layer, String stage, int pass, int passes, int samplesDone, int samples, long tokens, double layersDone, int layersLeft) {
        passTokens = samplesDone == 1 ? tokens : passTokens + tokens;
        long now = System.nanoTime();
        boolean last = samplesDone == samples;
        if (interactive ? now - lastDraw < REDRAW_NANOS && !last : now - lastDraw < LOG_NANOS || last) return;
        lastDraw = now;
        double secs = (now - startNanos) / 1e9;
        int width = 24, filled = (int) Math.round(width * (double) passTokens / tokensPerPass);
        out.printf(Locale.ROOT, "%slayer %d/%d %s (pass %d/%d) [%s%s] %,d/%,d tokens  %,.0f tok/s  ETA %s%s",
                interactive ? "\r" : "", layer + 1, layers, stage, pass, passes, "#".repeat(filled), ".".repeat(width - filled),
                passTokens, tokensPerPass, rate(layersDone, secs), formatSeconds(eta(layersDone, layersLeft, secs)), interactive ? "   " : "\n");
        out.flush();
    }

    void layerDone(int layer, double seconds, double layersDone, int layersLeft) {
        double secs = (System.nanoTime() - startNanos) / 1e9;
        out.printf(Locale.ROOT, "%slayer %d/%d done in %.1fs  (%,.0f tok/s, ETA %s)%n", interactive ? "\r" : "",
                layer + 1, layers, seconds, rate(layersDone, secs), formatSeconds(eta(layersDone, layersLeft, secs)));
        lastDraw = System.nanoTime();
    }

    /** Calibration tokens through the whole model per second. */
    double rate(double layersDone, double secs) {
        return tokensPerPass * layersDone / layers / Math.max(secs, 1e-9);
    }

    static double eta(double layersDone, int layersLeft, double secs) {
        return layersDone > 0 ? secs * (layersLeft - layersDone) / layersDone : 0;
    }

    static String formatSeconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
    }

    long tokensPerPass() { return tokensPerPass; }
}
