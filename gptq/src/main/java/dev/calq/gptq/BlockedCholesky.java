package dev.calq.gptq;

import dev.calq.calibration.kernels.DoubleMatMul;
import dev.calq.calibration.kernels.VectorMath;
import dev.calq.formats.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * The lower Cholesky factor A = L L^T of a symmetric matrix in float64, in place, blocked so that almost all of
 * the n^3/6 multiply-adds run in {@link DoubleMatMul}'s vectorised kernel. Right-looking, one block column of
 * {@code nb} at a time: EJML factors the small diagonal block, the panel below it is solved against that block's
 * transpose (row by row, vectorised dot products), and the trailing lower triangle is updated,
 * A22 -= L21 L21^T. Only the lower triangle of the input is read; the strict upper triangle is left as it was.
 */
final class BlockedCholesky {
    static final int BLOCK = 128;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private BlockedCholesky() {}

    /** Factors {@code a} ([n x n], row-major) in place; false when it is not (numerically) positive definite. */
    static boolean factorLower(double[] a, int n) {
        return factorLower(a, n, BLOCK);
    }

    static boolean factorLower(double[] a, int n, int nb) {
        for (int k0 = 0; k0 < n; k0 += nb) {
            int kb = Math.min(nb, n - k0), k1 = k0 + kb;
            double[] l11 = factorDiagonalBlock(a, n, k0, kb);
            if (l11 == null) return false;
            int below = n - k1;
            if (below == 0) break;
            // L21 = A21 L11^-T: each row x solves x L11^T = a, forward over the block's columns.
            int panel = k1 * n + k0;
            Parallel.forRange(below, 16, (from, to) -> {
                for (int r = from; r < to; r++) solveRow(a, panel + r * n, l11, kb);
            });
            DoubleMatMul.subtractNT(a, k1 * n + k0, n, a, k1 * n + k0, n, a, k1 * n + k1, n, below, below, kb, true);
        }
        return true;
    }

    /** EJML's Cholesky of the diagonal block at (k0, k0), written back; its factor [kb x kb], or null on failure. */
    private static double[] factorDiagonalBlock(double[] a, int n, int k0, int kb) {
        DMatrixRMaj block = new DMatrixRMaj(kb, kb);
        double[] d = block.data;
        for (int i = 0; i < kb; i++) {
            for (int j = 0; j <= i; j++) {
                double v = a[(k0 + i) * n + k0 + j];
                d[i * kb + j] = v;
                d[j * kb + i] = v;
            }
        }
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(kb, true);
        if (!chol.decompose(block)) return null;
        double[] l = chol.getT(null).data;
        for (int i = 0; i < kb; i++) {
            double p = l[i * kb + i];
            if (!(p > 0) || !Double.isFinite(p)) return null;
            for (int j = 0; j <= i; j++) a[(k0 + i) * n + k0 + j] = l[i * kb + j];
            for (int j = i + 1; j < kb; j++) l[i * kb + j] = 0;
        }
        return l;
    }

    private static void solveRow(double[] a, int off, double[] l11, int kb) {
        int lanes = D.length();
        for (int j = 0; j < kb; j++) {
            int lj = j * kb, p = 0;
            DoubleVector acc = DoubleVector.zero(D);
            for (; p + lanes <= j; p += lanes)
                acc = DoubleVector.fromArray(D, a, off + p).fma(DoubleVector.fromArray(D, l11, lj + p), acc);
            double s = VectorMath.sum(acc); // a fixed order: reduceLanes(ADD) differs between JIT tiers
            for (; p < j; p++) s = Math.fma(a[off + p], l11[lj + p], s);
            a[off + j] = (a[off + j] - s) / l11[lj + j];
        }
    }
}
