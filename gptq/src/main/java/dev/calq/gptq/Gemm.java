package dev.calq.gptq;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (+)= A B in float32 with the Vector API, row-major with leading dimensions, the signature of the calibration
 * kernels' MatMul.mul so that GPTQ's lazy batch update can move onto it. Tiles of 4 rows of C x 4 vectors of columns
 * stay in registers while the k loop runs; rows are split across threads (deterministic: each C element is summed
 * in k order by one thread).
 */
final class Gemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int MR = 4;

    private Gemm() {}

    static void mul(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                    int m, int n, int k, boolean accumulate) {
        if (m == 0 || n == 0) return;
        int tiles = (m + MR - 1) / MR;
        IntStream.range(0, tiles).parallel().forEach(t -> {
            int i0 = t * MR;
            int rows = Math.min(MR, m - i0);
            if (!accumulate) for (int r = 0; r < rows; r++) java.util.Arrays.fill(c, cOff + (i0 + r) * ldc, cOff + (i0 + r) * ldc + n, 0f);
            if (rows == MR) tile4(a, aOff + i0 * lda, lda, b, bOff, ldb, c, cOff + i0 * ldc, ldc, n, k);
            else for (int r = 0; r < rows; r++) row1(a, aOff + (i0 + r) * lda, b, bOff, ldb, c, cOff + (i0 + r) * ldc, n, k);
        });
    }

    private static void tile4(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int n, int k) {
        int L = F.length();
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            FloatVector c00 = FloatVector.fromArray(F, c, cOff + j), c01 = FloatVector.fromArray(F, c, cOff + j + L);
            FloatVector c10 = FloatVector.fromArray(F, c, cOff + ldc + j), c11 = FloatVector.fromArray(F, c, cOff + ldc + j + L);
            FloatVector c20 = FloatVector.fromArray(F, c, cOff + 2 * ldc + j), c21 = FloatVector.fromArray(F, c, cOff + 2 * ldc + j + L);
            FloatVector c30 = FloatVector.fromArray(F, c, cOff + 3 * ldc + j), c31 = FloatVector.fromArray(F, c, cOff + 3 * ldc + j + L);
            for (int p = 0; p < k; p++) {
                int bp = bOff + p * ldb + j;
                FloatVector b0 = FloatVector.fromArray(F, b, bp), b1 = FloatVector.fromArray(F, b, bp + L);
                FloatVector x = FloatVector.broadcast(F, a[aOff + p]);
                c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
                x = FloatVector.broadcast(F, a[aOff + lda + p]);
                c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
                x = FloatVector.broadcast(F, a[aOff + 2 * lda + p]);
                c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
                x = FloatVector.broadcast(F, a[aOff + 3 * lda + p]);
                c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            }
            c00.intoArray(c, cOff + j); c01.intoArray(c, cOff + j + L);
            c10.intoArray(c, cOff + ldc + j); c11.intoArray(c, cOff + ldc + j + L);
            c20.intoArray(c, cOff + 2 * ldc + j); c21.intoArray(c, cOff + 2 * ldc + j + L);
            c30.intoArray(c, cOff + 3 * ldc + j); c31.intoArray(c, cOff + 3 * ldc + j + L);
        }
        for (; j < n; j += L) {
            VectorMask<Float> mk = F.indexInRange(j, n);
            FloatVector[] acc = new FloatVector[MR];
            for (int r = 0; r < MR; r++) acc[r] = FloatVector.fromArray(F, c, cOff + r * ldc + j, mk);
            for (int p = 0; p < k; p++) {
                FloatVector bv = FloatVector.fromArray(F, b, bOff + p * ldb + j, mk);
                for (int r = 0; r < MR; r++) acc[r] = bv.fma(FloatVector.broadcast(F, a[aOff + r * lda + p]), acc[r]);
            }
            for (int r = 0; r < MR; r++) acc[r].intoArray(c, cOff + r * ldc + j, mk);
        }
    }

    private static void row1(float[] a, int aOff, float[] b, int bOff, int ldb, float[] c, int cOff, int n, int k) {
        int L = F.length();
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> mk = F.indexInRange(j, n);
            FloatVector acc = FloatVector.fromArray(F, c, cOff + j, mk);
            for (int p = 0; p < k; p++)
                acc = FloatVector.fromArray(F, b, bOff + p * ldb + j, mk).fma(FloatVector.broadcast(F, a[aOff + p]), acc);
            acc.intoArray(c, cOff + j, mk);
        }
    }
}
