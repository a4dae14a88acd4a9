package dev.calq.gptq;

import dev.calq.calibration.kernels.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dominant cost of GPTQ calibration: S += X^T X for one sample X [tokens x dim]. Only the upper triangle is
 * formed, in tiles of 4 rows x 4 vectors of columns held in registers while the token loop runs over a column-padded
 * copy of X (a rank-tokens update in float32 FMA); each finished tile is added into the float64 sum. A tile's float32
 * partial covers one sample's tokens, so the float32 rounding error stays that of a short sum while the running
 * total over many samples is float64.
 */
final class GramKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int ROWS = 4;
    static final int COLS = 4 * F.length();

    private GramKernel() {}

    /** Columns of the padded copy: a multiple of the tile width. */
    static int paddedDim(int dim) { return (dim + COLS - 1) / COLS * COLS; }

    /**
     * Adds X^T X into the upper triangle (j >= i, and some entries below it in diagonal tiles) of {@code s}
     * [dim x dim]. {@code xp} is X copied into rows of {@code pd = paddedDim(dim)} floats, zero beyond dim.
     */
    static void accumulateUpper(float[] xp, int tokens, int dim, double[] s) {
        int pd = paddedDim(dim);
        int tiles = (dim + ROWS - 1) / ROWS;
        Parallel.forRange(tiles, 1, (from, to) -> {
            for (int ti = from; ti < to; ti++) rowTile(xp, tokens, dim, pd, ti * ROWS, s);
        });
    }

    private static void rowTile(float[] xp, int tokens, int dim, int pd, int i0, double[] s) {
        int lanes = F.length();
        float[] tile = new float[ROWS * COLS];
        int rows = Math.min(ROWS, dim - i0);
        for (int j0 = i0 / COLS * COLS; j0 < dim; j0 += COLS) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int t = 0, row = 0; t < tokens; t++, row += pd) {
                int jb = row + j0;
                FloatVector b0 = FloatVector.fromArray(F, xp, jb);
                FloatVector b1 = FloatVector.fromArray(F, xp, jb + lanes);
                FloatVector b2 = FloatVector.fromArray(F, xp, jb + 2 * lanes);
                FloatVector b3 = FloatVector.fromArray(F, xp, jb + 3 * lanes);
                FloatVector x0 = FloatVector.broadcast(F, xp[row + i0]);
                a00 = b0.fma(x0, a00); a01 = b1.fma(x0, a01); a02 = b2.fma(x0, a02); a03 = b3.fma(x0, a03);
                FloatVector x1 = FloatVector.broadcast(F, xp[row + i0 + 1]);
                a10 = b0.fma(x1, a10); a11 = b1.fma(x1, a11); a12 = b2.fma(x1, a12); a13 = b3.fma(x1, a13);
                FloatVector x2 = FloatVector.broadcast(F, xp[row + i0 + 2]);
                a20 = b0.fma(x2, a20); a21 = b1.fma(x2, a21); a22 = b2.fma(x2, a22); a23 = b3.fma(x2, a23);
                FloatVector x3 = FloatVector.broadcast(F, xp[row + i0 + 3]);
                a30 = b0.fma(x3, a30); a31 = b1.fma(x3, a31); a32 = b2.fma(x3, a32); a33 = b3.fma(x3, a33);
            }
            a00.intoArray(tile, 0); a01.intoArray(tile, lanes); a02.intoArray(tile, 2 * lanes); a03.intoArray(tile, 3 * lanes);
            a10.intoArray(tile, COLS); a11.intoArray(tile, COLS + lanes); a12.intoArray(tile, COLS + 2 * lanes); a13.intoArray(tile, COLS + 3 * lanes);
            a20.intoArray(tile, 2 * COLS); a21.intoArray(tile, 2 * COLS + lanes); a22.intoArray(tile, 2 * COLS + 2 * lanes); a23.intoArray(tile, 2 * COLS + 3 * lanes);
            a30.intoArray(tile, 3 * COLS); a31.intoArray(tile, 3 * COLS + lanes); a32.intoArray(tile, 3 * COLS + 2 * lanes); a33.intoArray(tile, 3 * COLS + 3 * lanes);
            int cols = Math.min(COLS, dim - j0);
            for (int r = 0; r < rows; r++) {
                int base = (i0 + r) * dim + j0;
                for (int c = 0; c < cols; c++) s[base + c] += tile[r * COLS + c];
            }
        }
    }
}
