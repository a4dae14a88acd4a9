package dev.calq.calibration.kernels;

import java.util.Arrays;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import dev.calq.formats.Parallel;

/**
 * Float32 matrix products for the forward pass, GPTQ and attention.
 *
 * <p>All forms run one register-blocked micro-kernel ({@link MicroKernel}): six rows of A times a k x NR panel of B
 * (NR = four vectors). A goes k-block by k-block: each block of A is first packed six rows interleaved, one
 * contiguous stream for the kernel instead of six rows a stride apart (rows of a power-of-two length also compete
 * for the same cache sets). For A * W^T, each block of NR weight rows is widened (bf16/f16 -> f32) and transposed
 * into the panel layout once per k-block and then reused for every row of A, so bf16 weights cost little more
 * than f32 ones. Work is split over column panels, and also over row blocks when there are too few panels to keep
 * every core busy. Packing changes no arithmetic: each element of C is the same chain of FMAs, block after block.
 */
public final class MatMul {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Columns per panel: four vectors. */
    static final int NR = 4 * L;
    /** Rows of A per micro-kernel call. */
    static final int MR = MicroKernel.MR;
    /**
     * Depth of a k-block of the arithmetic: the kernel sums KC products in registers, then adds them to C. It fixes
     * the rounding of every product, so changing it changes every output in its last bits.
     */
    static final int KC = Integer.getInteger("calq.kc", 512);
    /**
     * Depth of a packed block, a multiple of KC: A and the weight panel (PC x NR floats, in L2) are packed this deep,
     * and the kernel runs its KC-deep blocks one after another on a C tile still in L1. Deeper packing means fewer
     * passes over C and fewer packing rounds; it does not change the arithmetic.
     */
    static final int PC = KC * Math.max(1, Integer.getInteger("calq.kblocks", 2));
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
        // Copy even full panels: the kernel needs B's stride to be the constant NR (see MicroKernel)
        gemm(a, aOff, lda, m, n, k, (scratch, j0, cols, kb, kc, panel) -> {
            for (int p = 0; p < kc; p++) {
                System.arraycopy(b, bOff + (kb + p) * ldb + j0, panel, p * NR, cols);
                if (cols < NR) Arrays.fill(panel, p * NR + cols, p * NR + NR, 0f);
            }
        }, c, cOff, ldc, accumulate);
    }

    /**
     * Runs the kernels on tiny problems until C2 has compiled them (~3000 calls; about half a second of one core,
     * a few seconds on a loaded machine). Until then the Vector API runs boxed, hundreds of times slower, and the
     * first full-size call pays for it (4.5 s measured for one 512x512x1536 call on a loaded machine). Also warms
     * {@link VectorOps}. Optional; call it once, e.g. on a background thread while the model loads.
     */
    public static void warmUp() {
        int m = MR, k = 32, n = NR;
        float[] a = new float[m * k], w = new float[n * k], c = new float[m * n];
        for (int i = 0; i < w.length; i++) w[i] = (i % 7) * 0.25f;
        WeightMatrix f32 = WeightMatrix.of(w, n, k);
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(new short[n * k]);
        WeightMatrix bf16 = WeightMatrix.of(new dev.calq.formats.tensor.Tensor("warm-up", dev.calq.formats.tensor.DType.BF16,
                new long[] {n, k}, seg));
        for (int i = 0; i < 3000; i++) {
            MatMul.mulTransposed(a, m, f32, c);
            if (i % 3 == 0) MatMul.mulTransposed(a, m, bf16, c);
            if (i % 3 == 1) MatMul.mul(a, 0, k, w, 0, n, c, 0, n, m, n, k, true);
        }
        VectorOps.warmUp();
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Starts {@link #warmUp()} once per JVM on a daemon thread, so that loading a model (mapping it, the finiteness
     * scan) hides the compile time instead of the first forward pass paying it: a short eval is a single pass.
     */
    public static void warmUpInBackground() {
        if (WARMING.compareAndSet(false, true)) Thread.ofPlatform().daemon().name("calq-warm-up").start(MatMul::warmUp);
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
        gemm(a, aOff, lda, m, n, k, (scratch, j0, cols, kb, kc, panel) -> {
            float[] tile = scratch.tile(NR * PC);
            w.copyBlock(j0, cols, kb, kc, tile, 0, kc);
            packTransposed(tile, cols, kc, panel);
        }, c, cOff, ldc, false);
    }

    /** Fills {@code panel} (row p at p * NR) with columns [j0, j0 + cols) of B's rows [kb, kb + kc), zero past cols. */
    @FunctionalInterface
    private interface PanelPacker {
        void pack(Scratch scratch, int j0, int cols, int kb, int kc, float[] panel);
    }

    /**
     * C[m x n] (+)= A[m x k] * B[k x n] with B supplied panel by panel; k > 0, m, n > 0. For each packed block (PC
     * deep), A's rows are packed (in parallel), then every (column panel, row split) task packs its B panel and runs
     * the kernel down its row panels, KC-deep block after block. The first block overwrites C unless
     * {@code accumulate}; later ones add to it.
     */
    private static void gemm(float[] a, int aOff, int lda, int m, int n, int k, PanelPacker b, float[] c, int cOff, int ldc,
                             boolean accumulate) {
        int aPanels = (m + MR - 1) / MR, panels = (n + NR - 1) / NR;
        int splits = rowSplits(aPanels, panels), perSplit = (aPanels + splits - 1) / splits;
        // The caller's buffer, read by the workers: this call returns only when they are done with it.
        float[] packedA = SCRATCH.get().packedA(aPanels * MR * Math.min(PC, k));
        for (int kb = 0; kb < k; kb += PC) {
            int pc = Math.min(PC, k - kb), kb0 = kb;
            Parallel.forRange(aPanels, 16, (from, to) -> packRows(a, aOff, lda, m, kb0, pc, from, to, packedA));
            Parallel.forRange(panels * splits, 1, (from, to) -> {
                Scratch s = SCRATCH.get();
                float[] panel = s.packedW(PC * NR);
                for (int t = from; t < to; t++) {
                    int j0 = (t / splits) * NR, cols = Math.min(NR, n - j0);
                    int q0 = (t % splits) * perSplit, q1 = Math.min(aPanels, q0 + perSplit);
                    b.pack(s, j0, cols, kb0, pc, panel);
                    panelRows(packedA, kb0, pc, q0, q1, m, panel, c, cOff + j0, ldc, cols, accumulate, (t / splits & 1) == 1);
                }
            });
        }
    }

    /**
     * Row panels [q0, q1) of A (MR rows each), columns [kb, kb + kc), into {@code packed}: panel q at q * MR * kc,
     * element (row r, column p) at p * MR + r. Rows past m are zero.
     */
    static void packRows(float[] a, int aOff, int lda, int m, int kb, int kc, int q0, int q1, float[] packed) {
        for (int q = q0; q < q1; q++) {
            int base = q * MR * kc;
            for (int r = 0; r < MR; r++) {
                int i = q * MR + r;
                if (i >= m) {
                    for (int p = 0; p < kc; p++) packed[base + p * MR + r] = 0f;
                    continue;
                }
                int src = aOff + i * lda + kb;
                for (int p = 0; p < kc; p++) packed[base + p * MR + r] = a[src + p];
            }
        }
    }

    /**
     * Row panels [q0, q1) of packed A against one k-block of one B panel.
     *
     * <p>Odd column panels walk the rows bottom-up. Neighbouring panels usually run at the same time on different
     * cores, and a row of C is not cache-line aligned, so both write the line that straddles their border; walking
     * in opposite directions they meet once instead of on every row.
     */
    private static void panelRows(float[] packedA, int kb, int pc, int q0, int q1, int m, float[] b, float[] c, int cOff,
                                  int ldc, int cols, boolean accumulate, boolean upward) {
        float[] ct = SCRATCH.get().cTile;
        for (int step = 0; step < q1 - q0; step++) {
            int q = upward ? q1 - 1 - step : q0 + step;
            int i = q * MR, rows = Math.min(MR, m - i);
            for (int p0 = 0; p0 < pc; p0 += KC) // KC-deep blocks in order: the arithmetic does not depend on PC
                MicroKernel.kernel6x4(packedA, q * MR * pc + p0 * MR, b, p0 * NR, Math.min(KC, pc - p0), c, cOff + i * ldc, ldc,
                        rows, cols, accumulate || kb + p0 > 0, ct);
        }
    }

    /** tile is cols x kc row-major; packed becomes kc x NR with columns >= cols zeroed. */
    static void packTransposed(float[] tile, int cols, int kc, float[] packed) {
        Transpose.transpose(tile, 0, kc, cols, kc, packed, 0, NR);
        if (cols < NR)
            for (int p = 0; p < kc; p++) Arrays.fill(packed, p * NR + cols, p * NR + NR, 0f);
    }

    /** Few rows of A: each weight row is widened once and dotted with every row of A. */
    private static void dotRows(float[] a, int aOff, int lda, WeightMatrix w, float[] c, int cOff, int ldc, int m) {
        int k = w.cols();
        int block = 16;
        Parallel.forRange(w.rows(), block, (from, to) -> {
            float[] tile = SCRATCH.get().tile(block * k);
            int cnt = to - from;
            w.copyRows(from, cnt, tile, 0);
            for (int i = 0; i < m; i++)
                for (int r = 0; r < cnt; r++)
                    c[cOff + i * ldc + from + r] = VectorOps.dot(a, aOff + i * lda, tile, r * k, k);
        });
    }

    /** Enough row splits that every core gets work when there are few column panels. */
    private static int rowSplits(int aPanels, int panels) {
        int want = 2 * Parallel.threads();
        if (panels >= want) return 1;
        return Math.max(1, Math.min(aPanels, (want + panels - 1) / panels));
    }

    private static void zeroRows(float[] c, int cOff, int ldc, int m, int n) {
        for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
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
        private float[] tile = new float[0], packedW = new float[0], packedA = new float[0];
        final float[] cTile = new float[MR * NR];

        float[] tile(int size) {
            if (tile.length < size) tile = new float[size];
            return tile;
        }

        float[] packedW(int size) {
            if (packedW.length < size) packedW = new float[size];
            return packedW;
        }

        float[] packedA(int size) {
            if (packedA.length < size) packedA = new float[size];
            return packedA;
        }
    }
}
