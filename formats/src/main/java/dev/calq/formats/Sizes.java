package dev.calq.formats;

import java.util.Locale;

/** Parses sizes such as 512m, 8g, 1.5G, 32MiB, 100000 (bytes); k, m, g, t are powers of 1024. */
public final class Sizes {
    private Sizes() {}

    /** A byte count for messages, with a unit that keeps small sizes from showing as 0.0 GB. */
    public static String human(long bytes) {
        if (bytes < (1L << 20)) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < (1L << 30)) return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }

    public static long parse(String text, String option) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) s = s.substring(0, s.length() - 2); // 32MiB: the binary units these are anyway
        else if (s.endsWith("b")) s = s.substring(0, s.length() - 1);
        long mult = 1;
        if (s.endsWith("k")) mult = 1L << 10;
        else if (s.endsWith("m")) mult = 1L << 20;
        else if (s.endsWith("g")) mult = 1L << 30;
        else if (s.endsWith("t")) mult = 1L << 40;
        if (mult != 1) s = s.substring(0, s.length() - 1);
        try {
            double v = Double.parseDouble(s);
            if (!(v > 0)) throw new NumberFormatException();
            return (long) (v * mult);
        } catch (NumberFormatException e) {
            throw new CalqException(option + ": '" + text + "' is not a size (e.g. 512m, 8g)");
        }
    }
}
