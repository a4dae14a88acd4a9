package dev.calq.formats.gguf.quant;

/**
 * Shared pieces of IQ1_S and IQ1_M: the values of a block sorted in ascending order (ties keep their original
 * order, as glibc's merge-sort qsort leaves them for ggml's tie-ignoring comparator), the two shifted level sets
 * {-1 + delta, delta, 1 + delta} and {-1 - delta, -delta, 1 - delta}, and the grid lookup of a block's ranks.
 */
final class Iq1Split {
    static final float DELTA = 0.125f;
    static final float[] X_P = {-1 + DELTA, DELTA, 1 + DELTA};
    static final float[] X_M = {-1 - DELTA, -DELTA, 1 - DELTA};

    private Iq1Split() {}

    /** Indices 0..n-1 of {@code x[xo..]} in ascending order of value; -0 and +0 tie; stable. */
    static void sortedOrder(float[] x, int xo, int n, int[] idx) {
        for (int j = 0; j < n; j++) {
            int i = j;
            float v = x[xo + j];
            while (i > 0 && v < x[xo + idx[i - 1]]) {
                idx[i] = idx[i - 1];
                i--;
            }
            idx[i] = j;
        }
    }

    /** Ranks 0, 1, 2 by the split points: sorted positions below i1, below i2, the rest. */
    static void ranksFromSplit(int[] idx, int n, int i1, int i2, byte[] L) {
        for (int j = 0; j < i1; j++) L[idx[j]] = 0;
        for (int j = i1; j < i2; j++) L[idx[j]] = 1;
        for (int j = i2; j < n; j++) L[idx[j]] = 2;
    }

    /**
     * Grid index of the 8 ranks at {@code L}, {@code 8k}; off-grid ones go to the neighbour nearest in the weighted
     * sense under {@code levels} and scale (ranks replaced). Sets {@code offGrid[0]} when that happened.
     */
    static int index(IqGrid grid, float[] xb, int xo, float[] weight, float scale, float[] levels, byte[] L, int k, boolean[] offGrid) {
        int key = grid.key(L, 8 * k);
        int g = grid.index(key);
        if (g >= 0) return g;
        offGrid[0] = true;
        return grid.bestNeighbour(key, xb, xo + 8 * k, weight, 8 * k, scale, levels, L, 8 * k);
    }
}
