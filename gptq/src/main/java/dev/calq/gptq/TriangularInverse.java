package dev.calq.gptq;

import dev.calq.formats.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inverse of a lower-triangular matrix, X = L^-1, by forward substitution on all right-hand sides at once:
 * X[i][j] = (delta_ij - sum_{k<i} L[i][k] X[k][j]) / L[i][i]. Columns of X are independent, so each thread owns
 * a strip of 4 vectors of columns and runs down the rows in blocks of 4, the sum over k being a register-tiled
 * (4 rows x 4 vectors) product. EJML's invertLower does the same arithmetic in scalar loops, about 30x slower
 * at n = 2048; this is the one step of the inverse Hessian factor we do not hand to EJML.
 */
final class TriangularInverse {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int STRIP = 4 * D.length();

    private TriangularInverse() {}

    /** L^-1 of the lower triangle of {@code l} ([n x n] row-major; the strict upper part is ignored). */
    static double[] invertLower(double[] l, int n) {
        int ld = (n + STRIP - 1) / STRIP * STRIP;
        double[] x = new double[n * ld];
        Parallel.forRange(ld / STRIP, 1, (from, to) -> {
            for (int s = from; s < to; s++) strip(l, n, x, ld, s * STRIP);
        });
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) System.arraycopy(x, i * ld, out, i * n, n);
        return out;
    }

    private static void strip(double[] l, int n, double[] x, int ld, int j0) {
        int L = D.length();
        DoubleVector zero = DoubleVector.zero(D);
        // Rows above j0 are zero in this strip (X is lower triangular); start at the row block containing j0.
        for (int i0 = Math.min(j0, n) / 4 * 4; i0 < n; i0 += 4) {
            int rows = Math.min(4, n - i0);
            DoubleVector a00 = zero, a01 = zero, a02 = zero, a03 = zero, a10 = zero, a11 = zero, a12 = zero, a13 = zero;
            DoubleVector a20 = zero, a21 = zero, a22 = zero, a23 = zero, a30 = zero, a31 = zero, a32 = zero, a33 = zero;
            int r1 = Math.min(i0 + 1, n - 1) * n, r2 = Math.min(i0 + 2, n - 1) * n, r3 = Math.min(i0 + 3, n - 1) * n, r0 = i0 * n;
            for (int k = j0; k < i0; k++) {
                int xb = k * ld + j0;
                DoubleVector b0 = DoubleVector.fromArray(D, x, xb), b1 = DoubleVector.fromArray(D, x, xb + L);
                DoubleVector b2 = DoubleVector.fromArray(D, x, xb + 2 * L), b3 = DoubleVector.fromArray(D, x, xb + 3 * L);
                DoubleVector c = DoubleVector.broadcast(D, l[r0 + k]);
                a00 = b0.fma(c, a00); a01 = b1.fma(c, a01); a02 = b2.fma(c, a02); a03 = b3.fma(c, a03);
                c = DoubleVector.broadcast(D, l[r1 + k]);
                a10 = b0.fma(c, a10); a11 = b1.fma(c, a11); a12 = b2.fma(c, a12); a13 = b3.fma(c, a13);
                c = DoubleVector.broadcast(D, l[r2 + k]);
                a20 = b0.fma(c, a20); a21 = b1.fma(c, a21); a22 = b2.fma(c, a22); a23 = b3.fma(c, a23);
                c = DoubleVector.broadcast(D, l[r3 + k]);
                a30 = b0.fma(c, a30); a31 = b1.fma(c, a31); a32 = b2.fma(c, a32); a33 = b3.fma(c, a33);
            }
            // Partial sums into the block's rows, then the block's own triangle row by row.
            int x0 = i0 * ld + j0;
            a00.intoArray(x, x0); a01.intoArray(x, x0 + L); a02.intoArray(x, x0 + 2 * L); a03.intoArray(x, x0 + 3 * L);
            if (rows > 1) { a10.intoArray(x, x0 + ld); a11.intoArray(x, x0 + ld + L); a12.intoArray(x, x0 + ld + 2 * L); a13.intoArray(x, x0 + ld + 3 * L); }
            if (rows > 2) { int o = x0 + 2 * ld; a20.intoArray(x, o); a21.intoArray(x, o + L); a22.intoArray(x, o + 2 * L); a23.intoArray(x, o + 3 * L); }
            if (rows > 3) { int o = x0 + 3 * ld; a30.intoArray(x, o); a31.intoArray(x, o + L); a32.intoArray(x, o + 2 * L); a33.intoArray(x, o + 3 * L); }
            for (int r = 0; r < rows; r++) {
                int i = i0 + r, xi = i * ld + j0;
                for (int k = i0; k < i; k++) {
                    double c = l[i * n + k];
                    int xk = k * ld + j0;
                    for (int j = 0; j < STRIP; j++) x[xi + j] = Math.fma(c, x[xk + j], x[xi + j]);
                }
                double inv = 1.0 / l[i * n + i];
                for (int j = 0; j < STRIP; j++) x[xi + j] = -x[xi + j] * inv;
                if (i >= j0 && i < j0 + STRIP) x[xi + (i - j0)] += inv; // the delta_ij term
            }
        }
    }
}
