package dev.calq.calibration.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel: C[rows x NR] (+)= A[6 x kc] * B[kc x NR], NR = four vectors, A and B packed:
 * A's six rows interleaved (element (r, p) at aOff + p * 6 + r), B's panel row p at bOff + p * NR.
 *
 * <p>Each step broadcasts one element from each of six rows of A and issues 24 FMAs against
 * the same four B vectors: 24 accumulators live in registers (AVX-512 has 32) and each load feeds several FMAs. In
 * L1 this runs at 95%+ of the FMA peak. Only the first {@code rows} rows and {@code cols} columns of C are written.
 */
final class MicroKernel {
    private static final VectorSpecies<Float> S = MatMul.S;
    private static final int L = MatMul.L;
    static final int MR = 6;
    private static final int NR = 4 * L;

    private MicroKernel() {}

    /** {@code ct} is an MR x NR scratch tile. */
    static void kernel6x4(float[] a, int aOff, float[] b, int bOff, int kc,
                          float[] c, int cOff, int ldc, int rows, int cols, boolean acc, float[] ct) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR, ao = aOff + p * MR; // constant strides: C2 hoists range checks only for constant scales
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
        }
        if (rows == MR && cols == NR) { // the common full tile: straight to C
            int o0 = cOff, o1 = o0 + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
            if (acc) {
                c00 = c00.add(FloatVector.fromArray(S, c, o0)); c01 = c01.add(FloatVector.fromArray(S, c, o0 + L));
                c02 = c02.add(FloatVector.fromArray(S, c, o0 + 2 * L)); c03 = c03.add(FloatVector.fromArray(S, c, o0 + 3 * L));
                c10 = c10.add(FloatVector.fromArray(S, c, o1)); c11 = c11.add(FloatVector.fromArray(S, c, o1 + L));
                c12 = c12.add(FloatVector.fromArray(S, c, o1 + 2 * L)); c13 = c13.add(FloatVector.fromArray(S, c, o1 + 3 * L));
                c20 = c20.add(FloatVector.fromArray(S, c, o2)); c21 = c21.add(FloatVector.fromArray(S, c, o2 + L));
                c22 = c22.add(FloatVector.fromArray(S, c, o2 + 2 * L)); c23 = c23.add(FloatVector.fromArray(S, c, o2 + 3 * L));
                c30 = c30.add(FloatVector.fromArray(S, c, o3)); c31 = c31.add(FloatVector.fromArray(S, c, o3 + L));
                c32 = c32.add(FloatVector.fromArray(S, c, o3 + 2 * L)); c33 = c33.add(FloatVector.fromArray(S, c, o3 + 3 * L));
                c40 = c40.add(FloatVector.fromArray(S, c, o4)); c41 = c41.add(FloatVector.fromArray(S, c, o4 + L));
                c42 = c42.add(FloatVector.fromArray(S, c, o4 + 2 * L)); c43 = c43.add(FloatVector.fromArray(S, c, o4 + 3 * L));
                c50 = c50.add(FloatVector.fromArray(S, c, o5)); c51 = c51.add(FloatVector.fromArray(S, c, o5 + L));
                c52 = c52.add(FloatVector.fromArray(S, c, o5 + 2 * L)); c53 = c53.add(FloatVector.fromArray(S, c, o5 + 3 * L));
            }
            c00.intoArray(c, o0); c01.intoArray(c, o0 + L); c02.intoArray(c, o0 + 2 * L); c03.intoArray(c, o0 + 3 * L);
            c10.intoArray(c, o1); c11.intoArray(c, o1 + L); c12.intoArray(c, o1 + 2 * L); c13.intoArray(c, o1 + 3 * L);
            c20.intoArray(c, o2); c21.intoArray(c, o2 + L); c22.intoArray(c, o2 + 2 * L); c23.intoArray(c, o2 + 3 * L);
            c30.intoArray(c, o3); c31.intoArray(c, o3 + L); c32.intoArray(c, o3 + 2 * L); c33.intoArray(c, o3 + 3 * L);
            c40.intoArray(c, o4); c41.intoArray(c, o4 + L); c42.intoArray(c, o4 + 2 * L); c43.intoArray(c, o4 + 3 * L);
            c50.intoArray(c, o5); c51.intoArray(c, o5 + L); c52.intoArray(c, o5 + 2 * L); c53.intoArray(c, o5 + 3 * L);
            return;
        }
        // Edge tiles go through a scratch tile: vectors passed to a method that C2 does not inline get boxed, and
        // then the loop above allocates on every step.
        c00.intoArray(ct, 0); c01.intoArray(ct, L); c02.intoArray(ct, 2 * L); c03.intoArray(ct, 3 * L);
        c10.intoArray(ct, NR); c11.intoArray(ct, NR + L); c12.intoArray(ct, NR + 2 * L); c13.intoArray(ct, NR + 3 * L);
        c20.intoArray(ct, 2 * NR); c21.intoArray(ct, 2 * NR + L); c22.intoArray(ct, 2 * NR + 2 * L); c23.intoArray(ct, 2 * NR + 3 * L);
        c30.intoArray(ct, 3 * NR); c31.intoArray(ct, 3 * NR + L); c32.intoArray(ct, 3 * NR + 2 * L); c33.intoArray(ct, 3 * NR + 3 * L);
        c40.intoArray(ct, 4 * NR); c41.intoArray(ct, 4 * NR + L); c42.intoArray(ct, 4 * NR + 2 * L); c43.intoArray(ct, 4 * NR + 3 * L);
        c50.intoArray(ct, 5 * NR); c51.intoArray(ct, 5 * NR + L); c52.intoArray(ct, 5 * NR + 2 * L); c53.intoArray(ct, 5 * NR + 3 * L);
        writeBack(ct, c, cOff, ldc, rows, cols, acc);
    }

    /** C[rows x cols] (+)= the tile (MR x NR, row-major). */
    private static void writeBack(float[] ct, float[] c, int cOff, int ldc, int rows, int cols, boolean acc) {
        for (int r = 0; r < rows; r++) {
            int o = cOff + r * ldc, t = r * NR, j = 0;
            for (; j + L <= cols; j += L) {
                FloatVector v = FloatVector.fromArray(S, ct, t + j);
                if (acc) v = v.add(FloatVector.fromArray(S, c, o + j));
                v.intoArray(c, o + j);
            }
            if (j < cols) {
                VectorMask<Float> m = S.indexInRange(j, cols);
                FloatVector v = FloatVector.fromArray(S, ct, t + j);
                if (acc) v = v.add(FloatVector.fromArray(S, c, o + j, m));
                v.intoArray(c, o + j, m);
            }
        }
    }
}
