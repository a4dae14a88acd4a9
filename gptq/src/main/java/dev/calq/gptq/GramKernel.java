package dev.calq.gptq;

import dev.calq.formats.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dominant cost of GPTQ calibration: S += X^T X for one sample X [tokens x dim]. Only the upper triangle is
 * formed, in tiles of 4 rows x 4 vectors of columns held in registers while the token loop runs (a rank-tokens
 * update in float32 FMA); each finished tile is added into the float64 sum. A tile's float32 partial covers one
 * sample's tokens, so the float32 rounding error stays that of a short sum while the running total is float64.
 *
 * <p>Data layout: B is X with rows padded to a multiple of the tile width; A holds, per tile of 4 columns of X, those
 * 4 values of every token side by side, so the 4 broadcasts of a token come from one 16-byte read. Threads own
 * column panels of S; a panel of B (tokens x 64 floats) stays in cache while every tile of A above the diagonal
 * streams past it.
 */
final class GramKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int ROWS = 4;
    static final int COLS = 4 * F.length();

    private GramKernel() {}

    /** Columns of the padded copy B: a multiple of the tile width. */
    static int paddedDim(int dim) { return (dim + COLS - 1) / COLS * COLS; }

    /** Floats of the packed A for {@code tokens} tokens. */
    static int packedSize(int tokens, int dim) { return (dim + ROWS - 1) / ROWS * ROWS * tokens; }

    /**
     * Adds X^T X into the upper triangle (j >= i; some entries below it in diagonal tiles are also written) of
     * {@code s} [dim x dim]. {@code b} holds X in rows of {@code paddedDim(dim)} floats, zero beyond dim; {@code a}
     * (at least {@link #packedSize} floats) is scratch for the packed columns.
     */
    static void accumulateUpper(float[] b, int tokens, int dim, float[] a, double[] s) {
        int pd = paddedDim(dim);
        int tiles = (dim + ROWS - 1) / ROWS;
        Parallel.forRange(tiles, 64, (from, to) -> {
            for (int ti = from; ti < to; ti++) {
                int base = ti * ROWS * tokens, c0 = ti * ROWS;
                for (int t = 0; t < tokens; t++)
                    for (int r = 0; r < ROWS; r++) a[base + t * ROWS + r] = b[t * pd + c0 + r]; // pd >= c0 + 4
            }
        });
        Parallel.forRange(pd / COLS, 1, (from, to) -> {
            float[] tile = new float[ROWS * COLS];
            for (int p = from; p < to; p++) {
                int j0 = p * COLS;
                int lastTile = Math.min(dim - 1, j0 + COLS - 1) / ROWS;
                for (int ti = 0; ti <= lastTile; ti++) tile(a, ti * ROWS * tokens, b, pd, j0, tokens, tile, s, ti * ROWS, dim);
            }
        });
    }

    private static void tile(float[] a, int aBase, float[] b, int pd, int j0, int tokens, float[] tile, double[] s, int i0, int dim) {
        int lanes = F.length();
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int t = 0, row = j0, ap = aBase; t < tokens; t++, row += pd, ap += ROWS) {
            FloatVector b0 = FloatVector.fromArray(F, b, row);
            FloatVector b1 = FloatVector.fromArray(F, b, row + lanes);
            FloatVector b2 = FloatVector.fromArray(F, b, row + 2 * lanes);
            FloatVector b3 = FloatVector.fromArray(F, b, row + 3 * lanes);
            FloatVector x = FloatVector.broadcast(F, a[ap]);
            a00 = b0.fma(x, a00); a01 = b1.fma(x, a01); a02 = b2.fma(x, a02); a03 = b3.fma(x, a03);
            x = FloatVector.broadcast(F, a[ap + 1]);
            a10 = b0.fma(x, a10); a11 = b1.fma(x, a11); a12 = b2.fma(x, a12); a13 = b3.fma(x, a13);
            x = FloatVector.broadcast(F, a[ap + 2]);
            a20 = b0.fma(x, a20); a21 = b1.fma(x, a21); a22 = b2.fma(x, a22); a23 = b3.fma(x, a23);
            x = FloatVector.broadcast(F, a[ap + 3]);
            a30 = b0.fma(x, a30); a31 = b1.fma(x, a31); a32 = b2.fma(x, a32); a33 = b3.fma(x, a33);
        }
        a00.intoArray(tile, 0); a01.intoArray(tile, lanes); a02.intoArray(tile, 2 * lanes); a03.intoArray(tile, 3 * lanes);
        a10.intoArray(tile, COLS); a11.intoArray(tile, COLS + lanes); a12.intoArray(tile, COLS + 2 * lanes); a13.intoArray(tile, COLS + 3 * lanes);
        a20.intoArray(tile, 2 * COLS); a21.intoArray(tile, 2 * COLS + lanes); a22.intoArray(tile, 2 * COLS + 2 * lanes); a23.intoArray(tile, 2 * COLS + 3 * lanes);
        a30.intoArray(tile, 3 * COLS); a31.intoArray(tile, 3 * COLS + lanes); a32.intoArray(tile, 3 * COLS + 2 * lanes); a33.intoArray(tile, 3 * COLS + 3 * lanes);
        int rows = Math.min(ROWS, dim - i0), cols = Math.min(COLS, dim - j0);
        for (int r = 0; r < rows; r++) {
            int base = (i0 + r) * dim + j0;
            for (int c = 0; c < cols; c++) s[base + c] += tile[r * COLS + c];
        }
    }
}
