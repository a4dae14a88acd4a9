package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.decomposition.chol.CholeskyDecompositionInner_DDRM;
import org.junit.jupiter.api.Test;

class BlockedCholeskyTest {
    /** A A^T / k + shift I for a random [n x k] A: SPD when shift > 0 or k >= n; rank k when shift = 0. */
    private static double[] gram(Random rnd, int n, int k, double shift) {
        double[] x = new double[n * k];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
        double[] g = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += x[i * k + p] * x[j * k + p];
                g[i * n + j] = s / k + (i == j ? shift : 0);
            }
        return g;
    }

    /** EJML's plain (unblocked) Cholesky, lower factor with a zero upper triangle, or null when it fails. */
    private static double[] ejml(double[] a, int n) {
        CholeskyDecompositionInner_DDRM chol = new CholeskyDecompositionInner_DDRM(true);
        if (!chol.decompose(DMatrixRMaj.wrap(n, n, a.clone()))) return null;
        double[] l = chol.getT(null).data;
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) l[i * n + j] = 0;
        return l;
    }

    @Test
    void matchesEjmlsPlainCholeskyOnRandomSpdMatricesAcrossBlockSizes() {
        Random rnd = new Random(7);
        for (int n : new int[] {1, 2, 9, 31, 64, 97, 150}) {
            for (int nb : new int[] {4, 16, 33, 128}) {
                double[] a = gram(rnd, n, n + 5, 0.01);
                double[] ref = ejml(a, n);
                double[] l = a.clone();
                for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) l[i * n + j] = Double.NaN; // never read
                assertTrue(BlockedCholesky.factorLower(l, n, nb), "n " + n + " nb " + nb);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++)
                        assertEquals(ref[i * n + j], l[i * n + j], 1e-10 * (1 + Math.abs(ref[i * n + j])), "n " + n + " nb " + nb + " at " + i + "," + j);
                for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) assertTrue(Double.isNaN(l[i * n + j]), "upper triangle touched");
            }
        }
    }

    @Test
    void nearlySingularMatricesFactorToTheSameResidualAsEjml() {
        Random rnd = new Random(8);
        int n = 120;
        double[] a = gram(rnd, n, n - 20, 1e-9); // rank n-20 plus a tiny ridge: condition number about 1e9
        double[] ref = ejml(a, n);
        assertNotNull(ref);
        double[] l = a.clone();
        assertTrue(BlockedCholesky.factorLower(l, n, 16));
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) l[i * n + j] = 0;
        double ours = 0, theirs = 0, norm = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double s = 0, r = 0;
                for (int p = 0; p <= j; p++) {
                    s += l[i * n + p] * l[j * n + p];
                    r += ref[i * n + p] * ref[j * n + p];
                }
                ours = Math.max(ours, Math.abs(s - a[i * n + j]));
                theirs = Math.max(theirs, Math.abs(r - a[i * n + j]));
                norm = Math.max(norm, Math.abs(a[i * n + j]));
            }
        assertTrue(ours <= Math.max(10 * theirs, 1e-14 * norm), "residual " + ours + " against EJML's " + theirs);
    }

    @Test
    void indefiniteAndSingularMatricesAreRejectedLikeEjmlRejectsThem() {
        Random rnd = new Random(9);
        for (int n : new int[] {3, 40, 133}) {
            for (int nb : new int[] {8, 128}) {
                double[] indefinite = gram(rnd, n, n + 3, 0.1);
                indefinite[(n - 1) * n + (n - 1)] = -1; // a negative pivot in the last block
                assertNull(ejml(indefinite, n));
                assertFalse(BlockedCholesky.factorLower(indefinite.clone(), n, nb), "indefinite n " + n + " nb " + nb);
                double[] middle = gram(rnd, n, n + 3, 0.1);
                middle[(n / 2) * n + n / 2] = -5; // one in the middle
                assertFalse(BlockedCholesky.factorLower(middle, n, nb), "indefinite in the middle, n " + n + " nb " + nb);
                double[] singular = gram(rnd, n, 1, 0); // rank one
                if (n > 1) assertFalse(BlockedCholesky.factorLower(singular, n, nb), "rank one n " + n + " nb " + nb);
            }
        }
    }

    @Test
    void blockedTriangularInverseMatchesEjmlsAcrossBlockSizes() {
        Random rnd = new Random(10);
        for (int n : new int[] {1, 5, 33, 100, 161}) {
            for (int nb : new int[] {3, 16, 128}) {
                double[] l = new double[n * n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < i; j++) l[i * n + j] = rnd.nextGaussian() * 0.3 / Math.sqrt(1 + i);
                    l[i * n + i] = 1 + rnd.nextDouble();
                    for (int j = i + 1; j < n; j++) l[i * n + j] = 99; // ignored, then zeroed
                }
                double[] ref = l.clone();
                for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) ref[i * n + j] = 0;
                org.ejml.dense.row.decomposition.TriangularSolver_DDRM.invertLower(ref, n);
                TriangularInverse.invertLowerInPlace(l, n, nb);
                for (int i = 0; i < n * n; i++) assertEquals(ref[i], l[i], 1e-10 * (1 + Math.abs(ref[i])), "n " + n + " nb " + nb + " at " + i);
            }
        }
    }

    @Test
    void theInverseIsBitForBitTheOneBlockRowAtATimeAlgorithmOnRowMajorArrays() {
        // The oracle: the plain formulation, each block row's two products on row-major arrays, in place.
        Random rnd = new Random(11);
        for (int n : new int[] {1, 31, 200, 333, 600}) {
            double[] l = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) l[i * n + j] = rnd.nextGaussian() * 0.3 / Math.sqrt(1 + i);
                l[i * n + i] = 1 + rnd.nextDouble();
            }
            for (int nb : new int[] {16, 128}) {
                double[] ref = l.clone();
                plainBlockRowInverse(ref, n, nb);
                for (int rows : new int[] {1, 2, 3}) {
                    double[] x = l.clone();
                    TriangularInverse.invertLowerInPlace(x, n, nb, rows);
                    assertArrayEquals(ref, x, "n " + n + " nb " + nb + " block rows a pass " + rows);
                }
            }
        }
    }

    private static void plainBlockRowInverse(double[] a, int n, int nb) {
        double[] t = new double[nb * n];
        for (int i0 = 0; i0 < n; i0 += nb) {
            int ib = Math.min(nb, n - i0);
            double[] xii = new double[ib * ib];
            for (int i = 0; i < ib; i++) System.arraycopy(a, (i0 + i) * n + i0, xii, i * ib, i + 1);
            org.ejml.dense.row.decomposition.TriangularSolver_DDRM.invertLower(xii, ib);
            if (i0 > 0) {
                java.util.Arrays.fill(t, 0);
                dev.calq.calibration.kernels.DoubleMatMul.subtractNN(a, i0 * n, n, a, 0, n, t, 0, i0, ib, i0, i0, true);
                double[] negXii = new double[ib * ib];
                for (int i = 0; i < ib * ib; i++) negXii[i] = -xii[i];
                for (int i = 0; i < ib; i++) java.util.Arrays.fill(a, (i0 + i) * n, (i0 + i) * n + i0, 0);
                dev.calq.calibration.kernels.DoubleMatMul.subtractNN(negXii, 0, ib, t, 0, i0, a, i0 * n, n, ib, i0, ib, false);
            }
            for (int i = 0; i < ib; i++) {
                System.arraycopy(xii, i * ib, a, (i0 + i) * n + i0, i + 1);
                java.util.Arrays.fill(a, (i0 + i) * n + i0 + i + 1, (i0 + i + 1) * n, 0);
            }
        }
    }

    @Test
    void fourRowsSolvedTogetherGetTheBitsOfEachSolvedAlone() {
        Random rnd = new Random(12);
        for (int kb : new int[] {1, 7, 8, 9, 30, 128}) {
            double[] l11 = new double[kb * kb];
            for (int i = 0; i < kb; i++) {
                for (int j = 0; j < i; j++) l11[i * kb + j] = rnd.nextGaussian();
                l11[i * kb + i] = 1 + rnd.nextDouble();
            }
            int stride = kb + 5;
            double[] rows = new double[4 * stride];
            for (int i = 0; i < rows.length; i++) rows[i] = rnd.nextGaussian();
            double[] alone = rows.clone();
            for (int r = 0; r < 4; r++) BlockedCholesky.solveRow(alone, r * stride, l11, kb);
            BlockedCholesky.solveFourRows(rows, 0, stride, l11, kb);
            assertArrayEquals(alone, rows, "kb " + kb);
        }
    }

    /** The factor's bits as text, of one fixed matrix: wide enough that the panel solve's vector loop runs. */
    static String factorBits() {
        int n = 300;
        double[] a = gram(new Random(3), n, 40, 0.5);
        assertTrue(BlockedCholesky.factorLower(a, n));
        return Long.toHexString(java.util.Arrays.hashCode(a)) + " " + Double.toHexString(a[n * n - 1]);
    }

    @Test
    void aJvmThatNeverCompilesWithC2FactorsToTheSameBits(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // reduceLanes(ADD) in the panel solve once added the lanes in another order before C2 compiled it (the
        // interpreter's fallback: lane by lane), so GPTQ's factor depended on JIT timing.
        String warm = factorBits();
        for (int i = 0; i < 30; i++) warm = factorBits();
        String cold = ColdJvm.run(ColdFactor.class, dir);
        assertEquals(warm, cold, "C1 only, one thread, against C2, all threads");
    }

    /** The child JVM's side. */
    public static final class ColdFactor {
        public static void main(String[] args) {
            System.out.println(factorBits());
        }
    }
}
