package dev.calq.calibration.kernels;

import dev.calq.formats.Parallel;

/**
 * A lower-triangular float64 matrix [n x n] stored as column strips {@link #WIDTH} wide, in the layout of
 * {@link DoubleMatMul}'s packed B panels: strip s holds columns [s W, s W + W) of rows s W .. n-1, row after row,
 * W doubles a row, with zeros above the diagonal and past column n. Any run of a strip's rows is then a panel the
 * kernel reads in place, where a row-major matrix would be copied, tile by tile, from rows a matrix's width apart.
 * The blocked triangular inverse builds its result here: it reads all rows above the block row it computes, once per
 * block row.
 */
public final class LowerStrips {
    /** Columns a strip holds: the kernel's tile width. */
    public static final int WIDTH = DoubleMatMul.NR;

    private final int n;
    final double[] data;

    /** An all-zero matrix [n x n]. */
    public LowerStrips(int n) {
        if (n < 0) throw new IllegalArgumentException("a matrix of size " + n);
        this.n = n;
        long size = offsetOf((n + WIDTH - 1) / WIDTH, n);
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("a lower triangle of " + n + " x " + n + " is too large for one array");
        data = new double[(int) size];
    }

    public int size() {
        return n;
    }

    private static long offsetOf(int strip, int n) {
        // Strip s' holds n - s' W rows of W doubles.
        return (long) WIDTH * ((long) strip * n - (long) WIDTH * strip * (strip - 1) / 2);
    }

    /** Where row {@code row} of strip {@code strip} starts (row >= strip * WIDTH). */
    int rowOffset(int strip, int row) {
        return (int) (offsetOf(strip, n) + (long) (row - strip * WIDTH) * WIDTH);
    }

    /** Element (row, col); zero above the diagonal. */
    public double get(int row, int col) {
        if (col > row) return 0;
        return data[rowOffset(col / WIDTH, row) + col % WIDTH];
    }

    /** Sets row {@code row}'s columns [col0, col0 + count) to src[from ...]; they must lie on or below the diagonal. */
    public void setRow(int row, int col0, int count, double[] src, int from) {
        if (row < 0 || row >= n || col0 < 0 || count < 0 || col0 + count > row + 1)
            throw new IllegalArgumentException("columns [" + col0 + ", " + (col0 + count) + ") of row " + row + " of a lower " + n + " x " + n + " matrix");
        for (int j = col0; j < col0 + count; ) {
            int strip = j / WIDTH, run = Math.min(col0 + count, (strip + 1) * WIDTH) - j;
            System.arraycopy(src, from + j - col0, data, rowOffset(strip, row) + j % WIDTH, run);
            j += run;
        }
    }

    /** The matrix into {@code a} ([n x n] row-major), zeros above the diagonal; rows in parallel. */
    public void copyTo(double[] a) {
        if (a.length < (long) n * n) throw new IllegalArgumentException("an array of " + a.length + " for a " + n + " x " + n + " matrix");
        Parallel.forRange(n, 64, (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int j = 0; j <= i; ) {
                    int strip = j / WIDTH, run = Math.min(i + 1, (strip + 1) * WIDTH) - j;
                    System.arraycopy(data, rowOffset(strip, i) + j % WIDTH, a, i * n + j, run);
                    j += run;
                }
                java.util.Arrays.fill(a, i * n + i + 1, (i + 1) * n, 0);
            }
        });
    }
}
