package dev.calq.calibration.kernels;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 matrix products for the forward pass, GPTQ and attention.
 *
 * <p>All three forms run one register-blocked micro-kernel: {@value #MR} rows of A, each element broadcast, times
 * a panel of 4 vectors (NR = 4 x lanes columns) of a row-major k x NR "B" panel, accumulating 24 vectors in
 * registers. For A * W^T the weight rows are widened (bf16/f16 -> f32) and transposed into that panel layout once
 * per panel and k-block, then reused for every row of A, which is what makes bf16 weights as fast as f32 ones.
 * Work is split over column panels (and over row blocks when there are few panels) on {@link Parallel}'s pool.
 */
public final class MatMul {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Columns per panel: four vectors. */
    static final int NR = 4 * L;
    /** Rows of A per micro-kernel call. */
    static final int MR = 6;
    /** Depth of a k-block: the packed panel (KC x NR floats) stays in L1/L2 while all rows of A stream past. */
    static final int KC = 256;
    /** Below this many rows of A, packing weights costs more than it saves: use dot products instead. */
    static final int SMALL_M = MR;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private MatMul() {}

    /** c[i*n + j] = sum_p a[i*k + p] * w(j, p) for i < m, j < n, where n = w.rows(), k = w.cols(). Uses all cores. */
    public static void mulTransposed(float[] a, int m, WeightMatrix w, float[] c) {
        int n = w.rows(), k = w.cols();
        checkArray("a", a, 0, k, m, k);
        checkArray("c", c, 0, n, m, n);
        gemmTransposed(a, 0, k, w, c, 0, n, m);
    }

    /** Strided general form on heap arrays: C[m x n] = A[m x k] * B^T where B is [n x k] (e.g. attention Q K^T). */
    public static void mulTransposed(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                     float[] c, int cOff, int ldc, int m, int n, int k) {
        checkArray("a", a, aOff, lda, m, k);
        checkArray("b", b, bOff, ldb, n, k);
        checkArray("c", c, cOff, ldc, m, n);
        gemmTransposed(a, aOff, lda, new FloatWeights(b, bOff, Math.max(ldb, k), n, k), c, cOff, ldc, m);
    }

    /**
     * C[m x n] (+)= A[m x k] * B[k x n], all row-major and strided; with {@code accumulate} the product is added to
     * C, otherwise C is overwritten (e.g. attention P V, GPTQ's block update).
     */
    public static void mul(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                           int m, int n, int k, boolean accumulate) {
        checkArray("a", a, aOff, lda, m, k);
        checkArray("b", b, bOff, ldb, k, n);
        checkArray("c", c, cOff, ldc, m, n);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) zeroRows(c, cOff, ldc, m, n);
            return;
        }
        int panels = (n + NR - 1) / NR;
        int splits = rowSplits(m, panels);
        int rowsPerSplit = roundUp((m + splits - 1) / splits, MR);
        Parallel.forRange(panels * splits, 1, (from, to) -> {
            Scratch s = SCRATCH.get();
            for (int t = from; t < to; t++) {
                int j0 = (t / splits) * NR, cols = Math.min(NR, n - j0);
                int i0 = (t % splits) * rowsPerSplit, i1 = Math.min(m, i0 + rowsPerSplit);
                if (i0 >= i1) continue;
                for (int kb = 0; kb < k; kb += KC) {
                    int kc = Math.min(KC, k - kb);
                    float[] panel;
                    int pOff, ldp;
                    if (cols == NR) { // full panel: read B in place
                        panel = b;
                        pOff = bOff + kb * ldb + j0;
                        ldp = ldb;
                    } else {          // ragged edge: copy into a zero-padded panel so the kernel never reads past n
                        panel = s.packed(KC * NR);
                        pOff = 0;
                        ldp = NR;
                        for (int p = 0; p < kc; p++) {
                            System.arraycopy(b, bOff + (kb + p) * ldb + j0, panel, p * NR, cols);
                            java.util.Arrays.fill(panel, p * NR + cols, p * NR + NR, 0f);
                        }
                    }
                    rowBlock(a, aOff + kb, lda, panel, pOff, ldp, kc, c, cOff + j0, ldc, i0, i1, cols, accumulate || kb > 0);
                }
            }
        });
    }

    /** The A * W^T driver over offsets and strides; {@code w} supplies the n x k weights. */
    static void gemmTransposed(float[] a, int aOff, int lda, WeightMatrix w, float[] c, int cOff, int ldc, int m) {
        int n = w.rows(), k = w.cols();
        if (m == 0 || n == 0) return;
        if (k == 0) {
            zeroRows(c, cOff, ldc, m, n);
            return;
        }
        if (m < SMALL_M) {
            dotRows(a, aOff, lda, w, c, cOff, ldc, m);
            return;
        }
        int panels = (n + NR - 1) / NR;
        int splits = rowSplits(m, panels);
        int rowsPerSplit = roundUp((m + splits - 1) / splits, MR);
        Parallel.forRange(panels * splits, 1, (from, to) -> {
            Scratch s = SCRATCH.get();
            float[] tile = s.tile(NR * KC);
            float[] packed = s.packed(KC * NR);
            for (int t = from; t < to; t++) {
                int j0 = (t / splits) * NR, cols = Math.min(NR, n - j0);
                int i0 = (t % splits) * rowsPerSplit, i1 = Math.min(m, i0 + rowsPerSplit);
                if (i0 >= i1) continue;
                for (int kb = 0; kb < k; kb += KC) {
                    int kc = Math.min(KC, k - kb);
                    w.copyBlock(j0, cols, kb, kc, tile, 0, kc);
                    packTransposed(tile, cols, kc, packed);
                    rowBlock(a, aOff + kb, lda, packed, 0, NR, kc, c, cOff + j0, ldc, i0, i1, cols, kb > 0);
                }
            }
        });
    }

    /** Rows [i0, i1) of C's panel: full MR-row blocks in the wide kernel, the rest one row at a time. */
    private static void rowBlock(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int kc,
                                 float[] c, int cOff, int ldc, int i0, int i1, int cols, boolean acc) {
        int i = i0;
        for (; i + MR <= i1; i += MR)
            MicroKernel.rows6(a, aOff + i * lda, lda, b, bOff, ldb, kc, c, cOff + i * ldc, ldc, cols, acc);
        for (; i < i1; i++)
            MicroKernel.rows1(a, aOff + i * lda, b, bOff, ldb, kc, c, cOff + i * ldc, cols, acc);
    }

    /** tile is cols x kc row-major; packed becomes kc x NR with columns >= cols zeroed. */
    static void packTransposed(float[] tile, int cols, int kc, float[] packed) {
        for (int r = 0; r < cols; r++) {
            int src = r * kc;
            for (int p = 0; p < kc; p++) packed[p * NR + r] = tile[src + p];
        }
        if (cols < NR)
            for (int p = 0; p < kc; p++) java.util.Arrays.fill(packed, p * NR + cols, p * NR + NR, 0f);
    }

    /** Few rows of A: each weight row is widened once and dotted with every row of A. */
    private static void dotRows(float[] a, int aOff, int lda, WeightMatrix w, float[] c, int cOff, int ldc, int m) {
        int n = w.rows(), k = w.cols();
        int block = 16;
        Parallel.forRange(n, block, (from, to) -> {
            float[] tile = SCRATCH.get().tile(block * k);
            int cnt = to - from;
            w.copyRows(from, cnt, tile, 0);
            for (int i = 0; i < m; i++)
                for (int r = 0; r < cnt; r++)
                    c[cOff + i * ldc + from + r] = VectorOps.dot(a, aOff + i * lda, tile, r * k, k);
        });
    }

    /** Enough row splits that every core gets work when there are few column panels. */
    private static int rowSplits(int m, int panels) {
        int want = 2 * Parallel.threads();
        if (panels >= want) return 1;
        return Math.max(1, Math.min((m + MR - 1) / MR, (want + panels - 1) / panels));
    }

    private static int roundUp(int x, int to) { return (x + to - 1) / to * to; }

    private static void zeroRows(float[] c, int cOff, int ldc, int m, int n) {
        for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
    }

    static void checkArray(String name, float[] x, int off, int ld, int rows, int cols) {
        Objects.requireNonNull(x, name);
        if (rows < 0 || cols < 0 || off < 0 || (rows > 1 && ld < cols))
            throw new IllegalArgumentException(name + ": bad shape " + rows + "x" + cols + " (offset " + off + ", stride " + ld + ")");
        if (rows > 0 && cols > 0 && (long) off + (long) (rows - 1) * ld + cols > x.length)
            throw new IllegalArgumentException(name + ": " + rows + "x" + cols + " (offset " + off + ", stride " + ld
                    + ") does not fit an array of " + x.length);
    }

    /** Per-thread buffers, grown on demand so hot loops never allocate. */
    private static final class Scratch {
        private float[] tile = new float[0], packed = new float[0];

        float[] tile(int size) {
            if (tile.length < size) tile = new float[size];
            return tile;
        }

        float[] packed(int size) {
            if (packed.length < size) packed = new float[size];
            return packed;
        }
    }
}
