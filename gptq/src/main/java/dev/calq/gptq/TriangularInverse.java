package dev.calq.gptq;

import dev.calq.calibration.kernels.DoubleMatMul;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;

/**
 * The inverse X = L^-1 of a lower-triangular matrix in float64, in place, one block row of {@code nb} at a time:
 * with the rows above already inverted, block row I is X[I][0:I] = -X_II (L[I][0:I] X[0:I][0:I]) and X_II =
 * L_II^-1. EJML inverts the small diagonal blocks; both products run in {@link DoubleMatMul}'s vectorised kernel,
 * the first skipping the zero upper triangle of X. n^3/6 multiply-adds, like forward substitution on all columns.
 */
final class TriangularInverse {
    private TriangularInverse() {}

    /** L^-1 of the lower triangle of {@code l} ([n x n] row-major; the strict upper part is ignored), as a new array. */
    static double[] invertLower(double[] l, int n) {
        double[] x = l.clone();
        invertLowerInPlace(x, n, BlockedCholesky.BLOCK);
        return x;
    }

    /** Replaces the lower triangle of {@code a} by its inverse and zeroes the strict upper triangle. */
    static void invertLowerInPlace(double[] a, int n, int nb) {
        double[] t = new double[Math.min(nb, n) * n];
        for (int i0 = 0; i0 < n; i0 += nb) {
            int ib = Math.min(nb, n - i0);
            double[] xii = new double[ib * ib];
            for (int i = 0; i < ib; i++) System.arraycopy(a, (i0 + i) * n + i0, xii, i * ib, i + 1);
            TriangularSolver_DDRM.invertLower(xii, ib);
            if (i0 > 0) {
                // t = -L[I][0:i0] X[0:i0][0:i0]; then X[I][0:i0] = 0 - (-X_II) t.
                java.util.Arrays.fill(t, 0, ib * i0, 0);
                DoubleMatMul.subtractNN(a, i0 * n, n, a, 0, n, t, 0, i0, ib, i0, i0, true);
                double[] negXii = new double[ib * ib];
                for (int i = 0; i < ib * ib; i++) negXii[i] = -xii[i];
                for (int i = 0; i < ib; i++) java.util.Arrays.fill(a, (i0 + i) * n, (i0 + i) * n + i0, 0);
                DoubleMatMul.subtractNN(negXii, 0, ib, t, 0, i0, a, i0 * n, n, ib, i0, ib, false);
            }
            for (int i = 0; i < ib; i++) {
                System.arraycopy(xii, i * ib, a, (i0 + i) * n + i0, i + 1);
                java.util.Arrays.fill(a, (i0 + i) * n + i0 + i + 1, (i0 + i + 1) * n, 0);
            }
        }
    }
}
