package dev.calq.calibration.kernels;

import dev.calq.formats.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float64 matrix update C -= A op(B) for the blocked factorisations of GPTQ's inverse Hessian (Cholesky trailing
 * updates, triangular-inverse block rows), where float32 would lose the accuracy a nearly singular Hessian needs.
 * All matrices are row-major with a leading dimension, so blocks of one large array can be passed.
 *
 * <p>A is first packed six rows interleaved, one contiguous stream per six rows (its rows lie a Hessian's width apart,
 * a power of two whose lines compete for the same cache sets when read in place). Columns of C are then split into
 * tiles of four vectors (NR = 32 doubles with AVX-512), groups of adjacent tiles run in parallel; for each tile the
 * matching part of B is packed, KC rows of the inner dimension at a time, into a contiguous panel (or read in place
 * from {@link LowerStrips}, which stores a matrix in that layout), and a 6 x 4-vector register tile of C accumulates
 * 24 FMAs per step (broadcasting one element of each of six rows of A). The sum over a KC block is subtracted from C
 * before the next block's starts, so the result depends only on KC, not on the grouping or the loop order.
 */
public final class DoubleMatMul {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int L = D.length();
    static final int NR = 4 * L;
    static final int MR = 6;
    private static final int KC = 192;

    private DoubleMatMul() {}

    /**
     * C[m x n] -= A[m x k] B[k x n]. With {@code lowerB}, B is taken as lower triangular (entries B[p][j] with
     * j > p read as zero, whatever is stored there), and the products with its zero rows are skipped.
     */
    public static void subtractNN(double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                                  double[] c, int cOff, int ldc, int m, int n, int k, boolean lowerB) {
        run(false, a, aOff, lda, b, bOff, ldb, null, 0, false, c, cOff, ldc, m, n, k, lowerB, false);
    }

    /**
     * C[m x n] -= A[m x k] B[k x n], B the leading k x n part of a lower-triangular matrix stored in strips, which
     * the kernel reads in place; bit for bit {@link #subtractNN} with {@code lowerB} on the same matrix row-major.
     *
     * <p>The product can be split in two at row {@code split} of B: with {@code early}, only the k-blocks that end by
     * {@code split} are applied (they read only rows of B above it); without, only the others. The two calls, early
     * first, give C bit for bit what one call gives ({@code split} 0 and not early: every block), so a caller can
     * start a product before the rest of B exists, and share that start's pass over B with other rows of A.
     */
    public static void subtractNN(double[] a, int aOff, int lda, LowerStrips b, double[] c, int cOff, int ldc,
                                  int m, int n, int k, int split, boolean early) {
        if (k > b.size() || n > b.size()) throw new IllegalArgumentException("a " + k + " x " + n + " part of a " + b.size() + " x " + b.size() + " matrix");
        run(false, a, aOff, lda, null, 0, 0, b, split, early, c, cOff, ldc, m, n, k, true, false);
    }

    /**
     * C[m x n] -= A[m x k] B^T, B stored [n x k]. With {@code lowerC} (m = n, C a diagonal block of a symmetric
     * matrix), only the entries C[i][j] with i >= j are computed and written.
     */
    public static void subtractNT(double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                                  double[] c, int cOff, int ldc, int m, int n, int k, boolean lowerC) {
        run(true, a, aOff, lda, b, bOff, ldb, null, 0, false, c, cOff, ldc, m, n, k, false, lowerC);
    }

    private static void run(boolean transB, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                            LowerStrips strips, int split, boolean early, double[] c, int cOff, int ldc, int m, int n, int k, boolean lowerB, boolean lowerC) {
        if (m <= 0 || n <= 0 || k <= 0) return;
        if (lowerC && m != n) throw new IllegalArgumentException("a lower-triangular update needs a square C, got " + m + " x " + n);
        int tiles = (n + NR - 1) / NR, aPanels = (m + MR - 1) / MR;
        double[] packedA = PACKED_A.get().ensure((long) aPanels * MR * k);
        Parallel.forRange(aPanels, 8, (from, to) -> packRows(a, aOff, lda, m, k, from, to, packedA));
        // A task takes a group of adjacent tiles and walks down C a row panel at a time across all of them, so that
        // C is read in runs of whole lines (its rows lie a Hessian's width apart: a tile's 256 bytes a row, alone,
        // would cost a page and a prefetch stream per row), and packing the group's panels reads adjacent parts of
        // the same rows of B. As many k-blocks as fit in L2 are packed at once and applied to a C tile back to back
        // while it is in L1. Small groups keep the uneven triangular work balanced. Each tile of C still takes its
        // k-blocks in order: the arithmetic depends on neither the grouping nor the loop order.
        int group = Math.max(1, Math.min(GROUP, tiles / (4 * Parallel.threads())));
        Parallel.forRange(tiles, group, (from, to) -> {
            int g = to - from;
            int blocks = 0;
            int[] skip = new int[g], stop = new int[g]; // per tile, its k-blocks [skip, stop) are applied
            for (int t = from; t < to; t++) {
                int total = (k - kStart(t, k, lowerB) + KC - 1) / KC;
                int before = Math.min(total, Math.max(0, (split - kStart(t, k, lowerB)) / KC));
                skip[t - from] = early ? 0 : before;
                stop[t - from] = early ? before : total;
                blocks = Math.max(blocks, stop[t - from]);
            }
            int batch = (int) Math.max(1, Math.min(blocks, PANEL_BUDGET / ((long) g * KC * NR)));
            double[][][] panels = new double[strips != null ? 0 : batch][g][KC * NR];
            double[] ct = new double[MR * NR];
            for (int blk0 = 0; blk0 < blocks; blk0 += batch) {
                int blk1 = Math.min(blocks, blk0 + batch), firstRow = m;
                for (int blk = blk0; blk < blk1; blk++) {
                    for (int t = from; t < to; t++) {
                        if (blk < skip[t - from] || blk >= stop[t - from]) continue;
                        int j0 = t * NR;
                        firstRow = Math.min(firstRow, rowStart(j0, lowerC));
                        if (strips != null) continue; // read in place
                        int p0 = kStart(t, k, lowerB) + blk * KC, cols = Math.min(NR, n - j0), depth = Math.min(KC, k - p0);
                        double[] panel = panels[blk - blk0][t - from];
                        if (transB) packTransposed(b, bOff, ldb, j0, cols, p0, depth, panel);
                        else pack(b, bOff, ldb, j0, cols, p0, depth, lowerB, panel);
                    }
                }
                for (int i0 = firstRow; i0 < m; i0 += MR) {
                    int rows = Math.min(MR, m - i0);
                    for (int t = from; t < to; t++) {
                        int j0 = t * NR, cols = Math.min(NR, n - j0);
                        if (i0 < rowStart(j0, lowerC)) continue;
                        // Column q of the tile may be written in row r when r + diag >= q (only with lowerC).
                        int diag = lowerC ? i0 - j0 : Integer.MAX_VALUE / 2;
                        for (int blk = Math.max(blk0, skip[t - from]); blk < Math.min(blk1, stop[t - from]); blk++) {
                            int p0 = kStart(t, k, lowerB) + blk * KC, depth = Math.min(KC, k - p0);
                            if (strips != null)
                                kernel(packedA, i0 * k + p0 * MR, strips.data, strips.rowOffset(t, p0), depth,
                                        c, cOff + i0 * ldc + j0, ldc, rows, cols, diag, ct);
                            else
                                kernel(packedA, i0 * k + p0 * MR, panels[blk - blk0][t - from], 0, depth,
                                        c, cOff + i0 * ldc + j0, ldc, rows, cols, diag, ct);
                        }
                    }
                }
            }
        });
    }

    /** With lowerC, a tile's first row panel: the one holding its diagonal (rows above j0 are computed, not written). */
    private static int rowStart(int j0, boolean lowerC) {
        return lowerC ? j0 / MR * MR : 0;
    }

    /** Tiles a task walks in step (see run). */
    private static final int GROUP = Integer.getInteger("calq.dgroup", 8);

    /** Doubles of packed B panels a task keeps at once: 1 MiB, about half an L2. */
    private static final long PANEL_BUDGET = Long.getLong("calq.dpanels", 1L << 17);

    /** The first row of B tile t reads: with lowerB its rows above the tile's first column are zero and skipped. */
    private static int kStart(int t, int k, boolean lowerB) {
        return lowerB ? Math.min(t * NR, k) : 0;
    }

    /** The caller's buffer for packed A, read by the workers: a call returns only when they are done with it. */
    private static final ThreadLocal<Buffer> PACKED_A = ThreadLocal.withInitial(Buffer::new);

    private static final class Buffer {
        private double[] data = new double[0];

        double[] ensure(long size) {
            if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("a matrix of " + size + " doubles is too large to pack");
            if (data.length < size) data = new double[(int) size];
            return data;
        }
    }

    /**
     * Row panels [q0, q1) of A (MR rows, all k columns) into {@code packed}: panel q at q * MR * k, element (row r,
     * column p) at p * MR + r, so any k-block of a panel is one contiguous run. Rows past m are zero.
     */
    private static void packRows(double[] a, int aOff, int lda, int m, int k, int q0, int q1, double[] packed) {
        for (int q = q0; q < q1; q++) {
            int base = q * MR * k;
            for (int r = 0; r < MR; r++) {
                int i = q * MR + r;
                if (i >= m) {
                    for (int p = 0; p < k; p++) packed[base + p * MR + r] = 0;
                    continue;
                }
                int src = aOff + i * lda;
                for (int p = 0; p < k; p++) packed[base + p * MR + r] = a[src + p];
            }
        }
    }

    /** panel[p][q] = B[p0 + p][j0 + q], zero beyond the last column and, with lowerB, above the diagonal. */
    private static void pack(double[] b, int bOff, int ldb, int j0, int cols, int p0, int kc, boolean lowerB, double[] panel) {
        for (int p = 0; p < kc; p++) {
            int row = p0 + p, src = bOff + row * ldb + j0, dst = p * NR;
            int valid = lowerB ? Math.max(0, Math.min(cols, row - j0 + 1)) : cols;
            System.arraycopy(b, src, panel, dst, valid);
            for (int q = valid; q < NR; q++) panel[dst + q] = 0;
        }
    }

    /** panel[p][q] = B[j0 + q][p0 + p] (B stored [n x k]), zero beyond the last column. */
    private static void packTransposed(double[] b, int bOff, int ldb, int j0, int cols, int p0, int kc, double[] panel) {
        for (int q = 0; q < NR; q++) {
            if (q < cols) {
                int src = bOff + (j0 + q) * ldb + p0;
                for (int p = 0; p < kc; p++) panel[p * NR + q] = b[src + p];
            } else {
                for (int p = 0; p < kc; p++) panel[p * NR + q] = 0;
            }
        }
    }

    /** C[rows x cols] -= A[6 x kc] B[kc x NR], A packed (element (r, p) at aOff + p * MR + r), B a packed panel. */
    private static void kernel(double[] a, int aOff, double[] b, int bOff, int kc,
                               double[] c, int cOff, int ldc, int rows, int cols, int diag, double[] ct) {
        DoubleVector z = DoubleVector.zero(D);
        DoubleVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        DoubleVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        DoubleVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
        // Rows past the end are packed zeros; their results are never written.
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR, ao = aOff + p * MR;
            DoubleVector b0 = DoubleVector.fromArray(D, b, bo);
            DoubleVector b1 = DoubleVector.fromArray(D, b, bo + L);
            DoubleVector b2 = DoubleVector.fromArray(D, b, bo + 2 * L);
            DoubleVector b3 = DoubleVector.fromArray(D, b, bo + 3 * L);
            DoubleVector x = DoubleVector.broadcast(D, a[ao]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = DoubleVector.broadcast(D, a[ao + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = DoubleVector.broadcast(D, a[ao + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = DoubleVector.broadcast(D, a[ao + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = DoubleVector.broadcast(D, a[ao + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = DoubleVector.broadcast(D, a[ao + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
        }
        if (rows == MR && cols == NR && diag >= NR - 1) { // a full tile wholly on or below the diagonal
            int o0 = cOff, o1 = o0 + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
            DoubleVector.fromArray(D, c, o0).sub(c00).intoArray(c, o0);
            DoubleVector.fromArray(D, c, o0 + L).sub(c01).intoArray(c, o0 + L);
            DoubleVector.fromArray(D, c, o0 + 2 * L).sub(c02).intoArray(c, o0 + 2 * L);
            DoubleVector.fromArray(D, c, o0 + 3 * L).sub(c03).intoArray(c, o0 + 3 * L);
            DoubleVector.fromArray(D, c, o1).sub(c10).intoArray(c, o1);
            DoubleVector.fromArray(D, c, o1 + L).sub(c11).intoArray(c, o1 + L);
            DoubleVector.fromArray(D, c, o1 + 2 * L).sub(c12).intoArray(c, o1 + 2 * L);
            DoubleVector.fromArray(D, c, o1 + 3 * L).sub(c13).intoArray(c, o1 + 3 * L);
            DoubleVector.fromArray(D, c, o2).sub(c20).intoArray(c, o2);
            DoubleVector.fromArray(D, c, o2 + L).sub(c21).intoArray(c, o2 + L);
            DoubleVector.fromArray(D, c, o2 + 2 * L).sub(c22).intoArray(c, o2 + 2 * L);
            DoubleVector.fromArray(D, c, o2 + 3 * L).sub(c23).intoArray(c, o2 + 3 * L);
            DoubleVector.fromArray(D, c, o3).sub(c30).intoArray(c, o3);
            DoubleVector.fromArray(D, c, o3 + L).sub(c31).intoArray(c, o3 + L);
            DoubleVector.fromArray(D, c, o3 + 2 * L).sub(c32).intoArray(c, o3 + 2 * L);
            DoubleVector.fromArray(D, c, o3 + 3 * L).sub(c33).intoArray(c, o3 + 3 * L);
            DoubleVector.fromArray(D, c, o4).sub(c40).intoArray(c, o4);
            DoubleVector.fromArray(D, c, o4 + L).sub(c41).intoArray(c, o4 + L);
            DoubleVector.fromArray(D, c, o4 + 2 * L).sub(c42).intoArray(c, o4 + 2 * L);
            DoubleVector.fromArray(D, c, o4 + 3 * L).sub(c43).intoArray(c, o4 + 3 * L);
            DoubleVector.fromArray(D, c, o5).sub(c50).intoArray(c, o5);
            DoubleVector.fromArray(D, c, o5 + L).sub(c51).intoArray(c, o5 + L);
            DoubleVector.fromArray(D, c, o5 + 2 * L).sub(c52).intoArray(c, o5 + 2 * L);
            DoubleVector.fromArray(D, c, o5 + 3 * L).sub(c53).intoArray(c, o5 + 3 * L);
            return;
        }
        // Edge and diagonal tiles through a scratch tile (vectors passed to a method C2 does not inline get boxed).
        c00.intoArray(ct, 0); c01.intoArray(ct, L); c02.intoArray(ct, 2 * L); c03.intoArray(ct, 3 * L);
        c10.intoArray(ct, NR); c11.intoArray(ct, NR + L); c12.intoArray(ct, NR + 2 * L); c13.intoArray(ct, NR + 3 * L);
        c20.intoArray(ct, 2 * NR); c21.intoArray(ct, 2 * NR + L); c22.intoArray(ct, 2 * NR + 2 * L); c23.intoArray(ct, 2 * NR + 3 * L);
        c30.intoArray(ct, 3 * NR); c31.intoArray(ct, 3 * NR + L); c32.intoArray(ct, 3 * NR + 2 * L); c33.intoArray(ct, 3 * NR + 3 * L);
        c40.intoArray(ct, 4 * NR); c41.intoArray(ct, 4 * NR + L); c42.intoArray(ct, 4 * NR + 2 * L); c43.intoArray(ct, 4 * NR + 3 * L);
        c50.intoArray(ct, 5 * NR); c51.intoArray(ct, 5 * NR + L); c52.intoArray(ct, 5 * NR + 2 * L); c53.intoArray(ct, 5 * NR + 3 * L);
        for (int r = 0; r < rows; r++) {
            int o = cOff + r * ldc, t = r * NR, last = Math.min(cols, r + diag + 1);
            for (int q = 0; q < last; q++) c[o + q] -= ct[t + q];
        }
    }
}
