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
                int r = from;
                for (; r + 4 <= to; r += 4) solveFourRows(a, panel + r * n, n, l11, kb);
                for (; r < to; r++) solveRow(a, panel + r * n, l11, kb);
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

    /**
     * {@link #solveRow} on four rows {@code stride} apart, interleaved: the same arithmetic for each row, but four
     * independent chains of dependent FMAs, sums and divisions in flight instead of one.
     */
    static void solveFourRows(double[] a, int off, int stride, double[] l11, int kb) {
        int lanes = D.length(), o0 = off, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
        for (int j = 0; j < kb; j++) {
            int lj = j * kb, p = 0;
            DoubleVector acc0 = DoubleVector.zero(D), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (; p + lanes <= j; p += lanes) {
                DoubleVector l = DoubleVector.fromArray(D, l11, lj + p);
                acc0 = DoubleVector.fromArray(D, a, o0 + p).fma(l, acc0);
                acc1 = DoubleVector.fromArray(D, a, o1 + p).fma(l, acc1);
                acc2 = DoubleVector.fromArray(D, a, o2 + p).fma(l, acc2);
                acc3 = DoubleVector.fromArray(D, a, o3 + p).fma(l, acc3);
            }
            double s0 = VectorMath.sum(acc0), s1 = VectorMath.sum(acc1), s2 = VectorMath.sum(acc2), s3 = VectorMath.sum(acc3);
            for (; p < j; p++) {
                double l = l11[lj + p];
                s0 = Math.fma(a[o0 + p], l, s0);
                s1 = Math.fma(a[o1 + p], l, s1);
                s2 = Math.fma(a[o2 + p], l, s2);
                s3 = Math.fma(a[o3 + p], l, s3);
            }
            double d = l11[lj + j];
            a[o0 + j] = (a[o0 + j] - s0) / d;
            a[o1 + j] = (a[o1 + j] - s1) / d;
            a[o2 + j] = (a[o2 + j] - s2) / d;
            a[o3 + j] = (a[o3 + j] - s3) / d;
        }
    }

    static void solveRow(double[] a, int off, double[] l11, int kb) {
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
