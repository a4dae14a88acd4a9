package dev.calq.calibration.eval;

import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar on stderr, redrawn in place at most a few times a second. */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter out;
    private long lastDraw;
    private boolean drawn;

    public ProgressBar(PrintWriter out) { this.out = out; }

    /** Redraws the bar for {@code done} of {@code total} with a status text; always draws the last step. */
    public void update(int done, int total, String status) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 250_000_000L) return;
        lastDraw = now;
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        out.print(String.format(Locale.ROOT, "\r[%s] %d/%d %s", bar, done, total, status));
        out.flush();
        drawn = true;
    }

    /** Ends the bar's line so that later output starts on a fresh one. */
    public void finish() {
        if (drawn) out.println();
        drawn = false;
    }
}
