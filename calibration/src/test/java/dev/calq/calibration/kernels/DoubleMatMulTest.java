package dev.calq.calibration.kernels;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DoubleMatMulTest {
    private static double[] random(Random rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) x[i] = rnd.nextGaussian();
        return x;
    }

    @Test
    void subtractNnMatchesAPlainLoopOnBlocksOfLargerArrays() {
        Random rnd = new Random(1);
        // Sizes below, at and past the tile (32 columns with AVX-512, 6 rows) and the inner block (192).
        int[][] shapes = {{1, 1, 1}, {5, 7, 3}, {6, 32, 8}, {13, 33, 200}, {37, 70, 385}, {64, 100, 17}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2], lda = k + 3, ldb = n + 5, ldc = n + 2;
            for (boolean lowerB : new boolean[] {false, true}) {
                double[] a = random(rnd, 2 + m * lda), b = random(rnd, 1 + k * ldb), c = random(rnd, 4 + m * ldc);
                double[] ref = c.clone();
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int p = 0; p < k; p++) if (!lowerB || j <= p) sum += a[2 + i * lda + p] * b[1 + p * ldb + j];
                        ref[4 + i * ldc + j] -= sum;
                    }
                DoubleMatMul.subtractNN(a, 2, lda, b, 1, ldb, c, 4, ldc, m, n, k, lowerB);
                for (int i = 0; i < c.length; i++)
                    assertEquals(ref[i], c[i], 1e-12 * (1 + Math.abs(ref[i])) * k, m + "x" + n + "x" + k + " lowerB " + lowerB + " at " + i);
            }
        }
    }

    @Test
    void subtractNtMatchesAPlainLoopAndTheLowerVariantLeavesTheUpperTriangleAlone() {
        Random rnd = new Random(2);
        int[][] shapes = {{1, 1, 1}, {7, 7, 5}, {32, 32, 9}, {45, 45, 130}, {100, 100, 193}, {9, 40, 11}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2], lda = k + 1, ldb = k + 4, ldc = n + 3;
            for (boolean lowerC : m == n ? new boolean[] {false, true} : new boolean[] {false}) {
                double[] a = random(rnd, m * lda), b = random(rnd, n * ldb), c = random(rnd, m * ldc);
                double[] ref = c.clone();
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        if (lowerC && j > i) continue;
                        double sum = 0;
                        for (int p = 0; p < k; p++) sum += a[i * lda + p] * b[j * ldb + p];
                        ref[i * ldc + j] -= sum;
                    }
                DoubleMatMul.subtractNT(a, 0, lda, b, 0, ldb, c, 0, ldc, m, n, k, lowerC);
                for (int i = 0; i < c.length; i++)
                    assertEquals(ref[i], c[i], 1e-12 * (1 + Math.abs(ref[i])) * k, m + "x" + n + "x" + k + " lowerC " + lowerC + " at " + i);
            }
        }
    }

    /** A random lower-triangular matrix [size x size], row-major, and the same in strips. */
    private static double[] randomLower(Random rnd, int size, LowerStrips strips) {
        double[] x = new double[size * size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j <= i; j++) x[i * size + j] = rnd.nextGaussian();
            strips.setRow(i, 0, i + 1, x, i * size);
        }
        return x;
    }

    @Test
    void theStripsProductIsBitForBitTheRowMajorLowerProductWholeOrSplit() {
        Random rnd = new Random(3);
        // k past two inner blocks (192), n and m not multiples of the tile (32 x 6); B a leading part of a larger matrix.
        int size = 450;
        LowerStrips strips = new LowerStrips(size);
        double[] x = randomLower(rnd, size, strips);
        int[][] shapes = {{1, 1, 1}, {7, 40, 40}, {13, 100, 390}, {128, 300, 420}, {20, 450, 450}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2], lda = k + 3, ldc = n + 1;
            double[] a = random(rnd, m * lda), c = random(rnd, m * ldc);
            double[] ref = c.clone();
            DoubleMatMul.subtractNN(a, 0, lda, x, 0, size, ref, 0, ldc, m, n, k, true);
            double[] whole = c.clone();
            DoubleMatMul.subtractNN(a, 0, lda, strips, whole, 0, ldc, m, n, k, 0, false);
            assertArrayEquals(ref, whole, m + "x" + n + "x" + k);
            for (int split : new int[] {1, 191, 192, 250, k}) {
                double[] parts = c.clone();
                DoubleMatMul.subtractNN(a, 0, lda, strips, parts, 0, ldc, m, n, k, split, true);
                DoubleMatMul.subtractNN(a, 0, lda, strips, parts, 0, ldc, m, n, k, split, false);
                assertArrayEquals(ref, parts, m + "x" + n + "x" + k + " split at " + split);
            }
        }
    }

    @Test
    void theEarlyPartReadsNoRowOfBAtOrBelowTheSplit() {
        Random rnd = new Random(4);
        int size = 500, m = 9, k = 480, split = 400;
        LowerStrips strips = new LowerStrips(size), poisoned = new LowerStrips(size);
        double[] x = randomLower(rnd, size, strips);
        for (int i = 0; i < size; i++) {
            double[] row = java.util.Arrays.copyOfRange(x, i * size, i * size + i + 1);
            if (i >= split) java.util.Arrays.fill(row, Double.NaN);
            poisoned.setRow(i, 0, i + 1, row, 0);
        }
        double[] a = random(rnd, m * k), c = random(rnd, m * size), d = c.clone();
        DoubleMatMul.subtractNN(a, 0, k, strips, c, 0, size, m, size, k, split, true);
        DoubleMatMul.subtractNN(a, 0, k, poisoned, d, 0, size, m, size, k, split, true);
        assertArrayEquals(c, d);
    }

    @Test
    void aLowerUpdateOfANonSquareBlockIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> DoubleMatMul.subtractNT(new double[6], 0, 1, new double[6], 0, 1, new double[6], 0, 3, 2, 3, 1, true));
    }
}
