package dev.calq.gptq;

import dev.calq.calibration.kernels.DoubleMatMul;
import dev.calq.calibration.kernels.LowerStrips;
import dev.calq.formats.Parallel;
import java.util.Arrays;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;

/**
 * The inverse X = L^-1 of a lower-triangular matrix in float64, in place, one block row of {@code nb} at a time:
 * with the rows above already inverted, block row I is X[I][0:I] = -X_II (L[I][0:I] X[0:I][0:I]) and X_II =
 * L_II^-1. EJML inverts the small diagonal blocks; both products run in {@link DoubleMatMul}'s vectorised kernel,
 * the first skipping the zero upper triangle of X. n^3/6 multiply-adds, like forward substitution on all columns.
 *
 * <p>The first product reads all of X above block row I, for every I: X is built in {@link LowerStrips}, which the
 * kernel reads in place, and {@link #ROWS_A_PASS} block rows start their first products in one pass over it (the
 * k-blocks above the group; each block row finishes its own when the rows above it are done). The arithmetic is
 * that of one block row at a time.
 */
final class TriangularInverse {
    /** Block rows whose first products share a pass over X. */
    static final int ROWS_A_PASS = Integer.getInteger("calq.invrows", 2);

    private TriangularInverse() {}

    /** L^-1 of the lower triangle of {@code l} ([n x n] row-major; the strict upper part is ignored), as a new array. */
    static double[] invertLower(double[] l, int n) {
        double[] x = l.clone();
        invertLowerInPlace(x, n, BlockedCholesky.BLOCK);
        return x;
    }

    /** Replaces the lower triangle of {@code a} by its inverse and zeroes the strict upper triangle. */
    static void invertLowerInPlace(double[] a, int n, int nb) {
        invertLowerInPlace(a, n, nb, ROWS_A_PASS);
    }

    /** The same, {@code rowsAPass} block rows sharing a pass; the result does not depend on it. */
    static void invertLowerInPlace(double[] a, int n, int nb, int rowsAPass) {
        if (rowsAPass < 1) throw new IllegalArgumentException("block rows a pass: " + rowsAPass);
        LowerStrips x = new LowerStrips(n);
        int group = nb * rowsAPass, rows = Math.min(group, n);
        double[] t = new double[rows * n], y = new double[Math.min(nb, n) * n];
        for (int g0 = 0; g0 < n; g0 += group) {
            int g1 = Math.min(n, g0 + group);
            // t[r] = -L[r][0:k] X[0:k][0:k] for each row r of the group (k its block row's start): first the k-blocks
            // above g0, for all the group's rows in one pass, then each block row's own rest.
            zeroRows(t, g1 - g0, n);
            if (g0 > 0) DoubleMatMul.subtractNN(a, g0 * n, n, x, t, 0, n, g1 - g0, g0, g1, g0, true);
            for (int i0 = g0; i0 < g1; i0 += nb) {
                int ib = Math.min(nb, n - i0);
                double[] xii = new double[ib * ib];
                for (int i = 0; i < ib; i++) System.arraycopy(a, (i0 + i) * n + i0, xii, i * ib, i + 1);
                TriangularSolver_DDRM.invertLower(xii, ib);
                if (i0 > 0) {
                    int tOff = (i0 - g0) * n;
                    DoubleMatMul.subtractNN(a, i0 * n, n, x, t, tOff, n, ib, i0, i0, g0, false);
                    // X[I][0:i0] = 0 - (-X_II) t.
                    double[] negXii = new double[ib * ib];
                    for (int i = 0; i < ib * ib; i++) negXii[i] = -xii[i];
                    zeroRows(y, ib, i0);
                    DoubleMatMul.subtractNN(negXii, 0, ib, t, tOff, n, y, 0, i0, ib, i0, ib, false);
                    int from0 = i0;
                    Parallel.forRange(ib, 16, (from, to) -> {
                        for (int i = from; i < to; i++) x.setRow(from0 + i, 0, from0, y, i * from0);
                    });
                }
                for (int i = 0; i < ib; i++) x.setRow(i0 + i, i0, i + 1, xii, i * ib);
            }
        }
        x.copyTo(a);
    }

    /** Zeroes rows [0, rows) of width {@code width}, in parallel: these run once per block row over megabytes. */
    private static void zeroRows(double[] m, int rows, int width) {
        Parallel.forRange(rows, 16, (from, to) -> Arrays.fill(m, from * width, to * width, 0));
    }
}
