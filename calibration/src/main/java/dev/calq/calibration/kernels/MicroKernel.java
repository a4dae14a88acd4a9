package dev.calq.calibration.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernels: C[rows x NR] (+)= A[rows x kc] * B[kc x NR], with B a row-major panel of
 * four vectors per row (stride ldb) and A row-major (stride lda). Each step broadcasts one element of A per row and
 * issues four FMAs with the same four B vectors, so 6 rows x 4 vectors = 24 accumulators live in registers
 * (AVX-512 has 32) and every load feeds several FMAs. Only the first {@code cols} columns of C are written.
 */
final class MicroKernel {
    private static final VectorSpecies<Float> S = MatMul.S;
    private static final int L = MatMul.L;

    private MicroKernel() {}

    static void rows6(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int kc,
                      float[] c, int cOff, int ldc, int cols, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
        int a0 = aOff, a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(S, a[a4 + p]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(S, a[a5 + p]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
        }
        int o = cOff;
        store4(c, o, cols, acc, c00, c01, c02, c03); o += ldc;
        store4(c, o, cols, acc, c10, c11, c12, c13); o += ldc;
        store4(c, o, cols, acc, c20, c21, c22, c23); o += ldc;
        store4(c, o, cols, acc, c30, c31, c32, c33); o += ldc;
        store4(c, o, cols, acc, c40, c41, c42, c43); o += ldc;
        store4(c, o, cols, acc, c50, c51, c52, c53);
    }

    static void rows1(float[] a, int aOff, float[] b, int bOff, int ldb, int kc, float[] c, int cOff, int cols, boolean acc) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * ldb;
            FloatVector x = FloatVector.broadcast(S, a[aOff + p]);
            c0 = FloatVector.fromArray(S, b, bo).fma(x, c0);
            c1 = FloatVector.fromArray(S, b, bo + L).fma(x, c1);
            c2 = FloatVector.fromArray(S, b, bo + 2 * L).fma(x, c2);
            c3 = FloatVector.fromArray(S, b, bo + 3 * L).fma(x, c3);
        }
        store4(c, cOff, cols, acc, c0, c1, c2, c3);
    }

    /** Writes (or adds) one row of four accumulators, masking columns at and beyond {@code cols}. */
    private static void store4(float[] c, int o, int cols, boolean acc, FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3) {
        if (cols == 4 * L) {
            if (acc) {
                v0 = v0.add(FloatVector.fromArray(S, c, o));
                v1 = v1.add(FloatVector.fromArray(S, c, o + L));
                v2 = v2.add(FloatVector.fromArray(S, c, o + 2 * L));
                v3 = v3.add(FloatVector.fromArray(S, c, o + 3 * L));
            }
            v0.intoArray(c, o);
            v1.intoArray(c, o + L);
            v2.intoArray(c, o + 2 * L);
            v3.intoArray(c, o + 3 * L);
            return;
        }
        storeMasked(c, o, cols, acc, v0);
        storeMasked(c, o + L, cols - L, acc, v1);
        storeMasked(c, o + 2 * L, cols - 2 * L, acc, v2);
        storeMasked(c, o + 3 * L, cols - 3 * L, acc, v3);
    }

    private static void storeMasked(float[] c, int o, int cols, boolean acc, FloatVector v) {
        if (cols <= 0) return;
        VectorMask<Float> m = S.indexInRange(0, cols);
        if (acc) v = v.add(FloatVector.fromArray(S, c, o, m));
        v.intoArray(c, o, m);
    }
}
