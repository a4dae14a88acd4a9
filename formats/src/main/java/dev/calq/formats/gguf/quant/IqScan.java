package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * The candidate-scale scan shared by IQ2_XS and IQ3_XXS (and IQ3_S's block search): for inverse scales
 * (2 kMaxQ - 1 + is * step) / max, round every magnitude to a rank, move each point that falls off the grid to its
 * best neighbour, and keep the ranks with the best weighted fit; then re-round the points that were off the grid
 * at the chosen scale and refit. One instance per row being encoded (it holds scratch arrays).
 */
final class IqScan {
    private final IqGrid grid;
    private final int n;
    private final int kMaxQ;
    private final int groups;
    private final byte[] laux;
    private final boolean[] onGrid;
    private final boolean[] onGridAux;
    private final IqFit fit = new IqFit();
    private final boolean iq3s;

    IqScan(IqGrid grid, int n, int kMaxQ) { this(grid, n, kMaxQ, false); }

    /**
     * With {@code iq3s}, as quantize_row_iq3_s_impl: the points count as off the grid until a candidate wins, and the
     * refit re-rounds every point, not only those that were off the grid.
     */
    IqScan(IqGrid grid, int n, int kMaxQ, boolean iq3s) {
        this.iq3s = iq3s;
        this.grid = grid;
        this.n = n;
        this.kMaxQ = kMaxQ;
        this.groups = n / grid.dim;
        laux = new byte[n];
        onGrid = new boolean[groups];
        onGridAux = new boolean[groups];
    }

    /** Returns the block scale (possibly negative) and leaves the chosen on-grid ranks in {@code L}. */
    float scan(float[] weight, float[] xval, float[] waux, float max, int isMax, float step, byte[] L) {
        int dim = grid.dim;
        float best = 0;
        float scale = max / (2 * kMaxQ - 1);
        java.util.Arrays.fill(onGrid, !iq3s);
        for (int is = -isMax; is <= isMax; is++) {
            float id = (2 * kMaxQ - 1 + is * step) / max;
            float thisScale = 1 / id;
            for (int k = 0; k < groups; k++) {
                roundRanks(id, xval, dim * k, laux);
                int key = grid.key(laux, dim * k);
                onGridAux[k] = grid.index(key) >= 0;
                if (!onGridAux[k]) grid.bestNeighbour(key, xval, dim * k, waux, dim * k, thisScale, laux, dim * k);
            }
            if (fit.of(weight, xval, laux, n).beats(best)) {
                scale = fit.sumqx / fit.sumq2;
                best = scale * fit.sumqx;
                System.arraycopy(laux, 0, L, 0, n);
                System.arraycopy(onGridAux, 0, onGrid, 0, groups);
            }
        }
        boolean allOnGrid = true;
        for (boolean g : onGrid) allOnGrid &= g;
        if (!allOnGrid && scale > 0) {
            float id = 1 / scale;
            for (int k = 0; k < groups; k++) {
                if (onGrid[k] && !iq3s) continue;
                roundRanks(id, xval, dim * k, L);
                grid.onGridOrNeighbour(xval, dim * k, waux, dim * k, scale, L, dim * k);
            }
            if (fit.of(weight, xval, L, n).sumq2 > 0) scale = fit.sumqx / fit.sumq2;
        }
        return scale;
    }

    /** Ranks round(((x / scale) - 1) / 2) of one grid point's magnitudes, clamped to the kMaxQ levels. */
    void roundRanks(float id, float[] xval, int xo, byte[] L) {
        for (int i = 0; i < grid.dim; i++) {
            int l = nearestInt(0.5f * (id * xval[xo + i] - 1));
            L[xo + i] = (byte) Math.max(0, Math.min(kMaxQ - 1, l));
        }
    }

    /** The grid index of each point of {@code L} (every point must be on the grid). */
    int index(byte[] L, int lo, GgmlType type) {
        int g = grid.index(grid.key(L, lo));
        if (g < 0) throw new IllegalStateException(type + ": a block point is off the grid");
        return g;
    }
}
