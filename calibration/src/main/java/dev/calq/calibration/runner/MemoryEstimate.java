package dev.calq.calibration.runner;

import java.util.Locale;

/** Peak memory of a calibration run, split into the hidden states (which may spill to disk) and the rest. */
public record MemoryEstimate(long hiddenBytes, long fixedBytes, long budget) {
    public boolean hiddenFitsInMemory() { return hiddenBytes + fixedBytes <= budget; }

    public boolean fitsWithSpill() { return fixedBytes <= budget; }

    public static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
