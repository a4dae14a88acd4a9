package dev.calq.calibration.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MatMulTest {
    private static final int[] MS = {1, 3, 5, 6, 7, 17, 64};
    private static final int[] NS = {1, 5, 33, 64, 100};
    private static final int[] KS = {1, 7, 31, 64, 100, 300};
    private final Random rnd = new Random(42);

    @Test
    void mulTransposedF32MatchesDoubleLoop() {
        for (int m : MS) for (int n : NS) for (int k : KS) {
            float[] a = random(m * k), w = random(n * k);
            float[] c = random(m * n); // garbage that must be overwritten
            MatMul.mulTransposed(a, m, WeightMatrix.of(w, n, k), c);
            checkNT(a, 0, k, w, 0, k, c, 0, n, m, n, k, "f32 m=" + m + " n=" + n + " k=" + k);
        }
    }

    @Test
    void mulTransposedHalfTensorsMatchDoubleLoop() {
        for (DType dt : new DType[] {DType.BF16, DType.F16})
            for (int m : new int[] {1, 4, 17, 64}) for (int n : new int[] {5, 33, 100}) for (int k : new int[] {7, 64, 300}) {
                float[] a = random(m * k), w = random(n * k);
                Tensor t = halfTensor(dt, w, n, k); // rounds w in place to the half values
                float[] c = new float[m * n];
                MatMul.mulTransposed(a, m, WeightMatrix.of(t), c);
                checkNT(a, 0, k, w, 0, k, c, 0, n, m, n, k, dt + " m=" + m + " n=" + n + " k=" + k);
            }
    }

    @Test
    void largeShapeUsesEveryPanelAndRowSplit() {
        int m = 131, n = 1000, k = MatMul.KC + 8; // two k-blocks, ragged last panel and row block
        float[] a = random(m * k), w = random(n * k), c = new float[m * n];
        MatMul.mulTransposed(a, m, WeightMatrix.of(w, n, k), c);
        checkNT(a, 0, k, w, 0, k, c, 0, n, m, n, k, "large");
    }

    @Test
    void mulOverSeveralKBlocksAccumulatesEveryBlock() {
        int m = 13, n = 70, k = 2 * MatMul.KC + 9, lda = k + 1, ldb = n + 2, ldc = n;
        float[] a = random(m * lda), b = random(k * ldb), c = random(m * ldc), before = c.clone();
        MatMul.mul(a, 0, lda, b, 0, ldb, c, 0, ldc, m, n, k, true);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = before[i * ldc + j], abs = Math.abs(s);
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * lda + p] * b[p * ldb + j];
                    s += t;
                    abs += Math.abs(t);
                }
                assertClose(s, abs, k + 1, c[i * ldc + j], "deep mul at " + i + "," + j);
            }
    }

    @Test
    void stridedMulTransposedTouchesOnlyItsBlock() {
        for (int m : MS) for (int n : NS) for (int k : new int[] {1, 7, 64, 100}) {
            int lda = k + 3, ldb = k + 5, ldc = n + 2, aOff = 4, bOff = 9, cOff = 11;
            float[] a = random(aOff + m * lda), b = random(bOff + n * ldb), c = random(cOff + m * ldc + 3);
            float[] before = c.clone();
            MatMul.mulTransposed(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k);
            checkNT(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k, "strided m=" + m + " n=" + n + " k=" + k);
            assertOutsideUnchanged(before, c, cOff, ldc, m, n);
        }
    }

    @Test
    void mulMatchesDoubleLoopWithAndWithoutAccumulate() {
        for (boolean accumulate : new boolean[] {false, true})
            for (int m : MS) for (int n : NS) for (int k : KS) {
                int lda = k + 1, ldb = n + 3, ldc = n + 2, aOff = 2, bOff = 5, cOff = 7;
                float[] a = random(aOff + m * lda), b = random(bOff + k * ldb), c = random(cOff + m * ldc + 1);
                float[] before = c.clone();
                MatMul.mul(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k, accumulate);
                String what = "mul acc=" + accumulate + " m=" + m + " n=" + n + " k=" + k;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double s = accumulate ? before[cOff + i * ldc + j] : 0, abs = Math.abs(s);
                        for (int p = 0; p < k; p++) {
                            double t = (double) a[aOff + i * lda + p] * b[bOff + p * ldb + j];
                            s += t;
                            abs += Math.abs(t);
                        }
                        assertClose(s, abs, k + 1, c[cOff + i * ldc + j], what + " at " + i + "," + j);
                    }
                assertOutsideUnchanged(before, c, cOff, ldc, m, n);
            }
    }

    @Test
    void emptyDepthGivesZerosOrLeavesCAlone() {
        float[] c = {1, 2, 3, 4};
        MatMul.mul(new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, 2, 2, 0, true);
        assertEquals(1f, c[0]);
        MatMul.mul(new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, 2, 2, 0, false);
        assertEquals(0f, c[3]);
        float[] d = {5, 5};
        MatMul.mulTransposed(new float[0], 1, WeightMatrix.of(new float[0], 2, 0), d);
        assertEquals(0f, d[1]);
    }

    @Test
    void shapesThatDoNotFitAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.mulTransposed(new float[5], 2, WeightMatrix.of(new float[6], 2, 3), new float[4]));
        assertThrows(IllegalArgumentException.class,
                () -> MatMul.mul(new float[6], 0, 3, new float[5], 0, 2, new float[4], 0, 2, 2, 2, 3, false));
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(new float[5], 2, 3));
    }

    @Test
    void weightMatrixCopiesRowsAndBlocks() {
        int n = 9, k = 37;
        float[] w = random(n * k);
        Tensor t = halfTensor(DType.BF16, w, n, k);
        for (WeightMatrix wm : new WeightMatrix[] {WeightMatrix.of(w, n, k), WeightMatrix.of(t)}) {
            assertEquals(n, wm.rows());
            assertEquals(k, wm.cols());
            float[] rows = new float[3 + 2 * k];
            wm.copyRows(4, 2, rows, 3);
            for (int i = 0; i < 2 * k; i++) assertEquals(w[4 * k + i], rows[3 + i]);
            float[] block = new float[3 * 10];
            wm.copyBlock(2, 3, 5, 8, block, 0, 10);
            for (int r = 0; r < 3; r++) for (int p = 0; p < 8; p++) assertEquals(w[(2 + r) * k + 5 + p], block[r * 10 + p]);
            assertThrows(IndexOutOfBoundsException.class, () -> wm.copyRows(8, 2, new float[2 * k], 0));
        }
    }

    // ---- helpers ----

    private void checkNT(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                         int m, int n, int k, String what) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[aOff + i * lda + p] * b[bOff + j * ldb + p];
                    s += t;
                    abs += Math.abs(t);
                }
                assertClose(s, abs, k, c[cOff + i * ldc + j], what + " at " + i + "," + j);
            }
    }

    /** float32 summation of {@code terms} terms errs by at most about terms * 2^-24 * sum|terms|. */
    static void assertClose(double expected, double sumAbs, int terms, float actual, String what) {
        double tol = 1.2e-7 * Math.max(terms, 1) * sumAbs + 1e-30;
        if (!(Math.abs(actual - expected) <= tol))
            fail(what + ": expected " + expected + " got " + actual + " (tolerance " + tol + ")");
    }

    private static void assertOutsideUnchanged(float[] before, float[] c, int cOff, int ldc, int m, int n) {
        for (int x = 0; x < c.length; x++) {
            int rel = x - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside && before[x] != c[x]) fail("element " + x + " outside the C block was changed");
        }
    }

    private float[] random(int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    /** A BF16 or F16 tensor holding w; w is rounded in place to exactly the stored values. */
    static Tensor halfTensor(DType dt, float[] w, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[w.length * 2]);
        for (int i = 0; i < w.length; i++) {
            short h = dt == DType.BF16 ? (short) (Float.floatToRawIntBits(w[i]) >>> 16) : Float.floatToFloat16(w[i]);
            seg.set(Tensor.I16, 2L * i, h);
            w[i] = dt == DType.BF16 ? Float.intBitsToFloat((h & 0xffff) << 16) : Float.float16ToFloat(h);
        }
        Tensor t = new Tensor("w", dt, new long[] {rows, cols}, seg);
        assertTrue(t.numel() == w.length);
        return t;
    }
}
