package dev.calq.gptq;

import dev.calq.formats.gguf.quant.BlockGrid;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Hessian-aware choice of a ggml block's scales inside GPTQ's loop. The type's own search weighs each column by
 * one importance number (the Hessian's diagonal) and scores a header by the diagonal-weighted error, as if the
 * block's errors stayed where they are made. Inside GPTQ they do not: each column's error is pushed onto the later
 * columns through U, and what the block finally costs is GPTQ's loss over its columns, sum (x_c - q_c)^2 / U_cc^2
 * with x_c the value after the earlier columns' feedback. This class asks the type's search for several candidate
 * headers (under different importances), runs the block's GPTQ loop for each on a copy of the row, and keeps the
 * header whose loss is smallest. The candidates are all bytes the type's encoder writes, so the file stays a plain
 * llama.cpp file; only which of them is written changes.
 */
final class HessianScaleChoice {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final BlockGrid grid;
    private final int in, bs, typeSize;
    private final float[] u;
    private final float[][] importances;

    /**
     * {@code u} is U [in x in] (natural column order), {@code importances} the candidate importance vectors (each null
     * or one weight per column; null asks for the type's unweighted search).
     */
    HessianScaleChoice(BlockGrid grid, float[] u, int in, float[][] importances) {
        this.grid = grid;
        this.in = in;
        this.bs = grid.type().blockSize();
        this.typeSize = grid.type().typeSize();
        this.u = u;
        this.importances = importances;
    }

    /** The candidate importances: the Hessian's diagonal, GPTQ's saliency 1 / (H^-1)_cc, and none. */
    static float[][] candidates(float[] diagonal, float[] u, int in) {
        float[] saliency = new float[in];
        for (int c = 0; c < in; c++) {
            double s = 0; // (H^-1)_cc = (U^T U)_cc = sum over k <= c of U_kc^2
            for (int k = 0; k <= c; k++) s += (double) u[k * in + c] * u[k * in + c];
            saliency[c] = (float) (1 / s);
        }
        return new float[][] {diagonal, saliency, null};
    }

    /** Per-thread scratch: one candidate header, the element grid and a copy of the block's row segment. */
    static final class Scratch {
        final byte[] header;
        final float[] step, offset, x;

        Scratch(BlockGrid grid) {
            int bs = grid.type().blockSize();
            header = new byte[grid.type().typeSize()];
            step = new float[bs];
            offset = new float[bs];
            x = new float[bs];
        }
    }

    Scratch scratch() { return new Scratch(grid); }

    /**
     * Writes into {@code out} at {@code o} the candidate header (with the type's levels) for block {@code block} of
     * the row at {@code w[rowOff .. rowOff + in)} whose GPTQ loss over the block is smallest; the first candidate
     * wins ties. Returns that loss.
     */
    double choose(float[] w, int rowOff, int block, byte[] out, int o, Scratch s) {
        double best = Double.POSITIVE_INFINITY;
        for (float[] imp : importances) {
            grid.chooseScales(w, rowOff, in, imp, block, s.header, 0);
            double loss = blockLoss(w, rowOff, block * bs, s, best);
            if (loss < best) {
                best = loss;
                System.arraycopy(s.header, 0, out, o, typeSize);
            }
        }
        return best;
    }

    /**
     * GPTQ's loss over one block under {@code s.header}'s grid: the row's block columns rounded in order, each
     * error pushed onto the block's later columns through U, as {@link GptqQuantizer}'s loop does. Stops early
     * (returning a value at least {@code bound}) once the loss reaches {@code bound}.
     */
    double blockLoss(float[] w, int rowOff, int start, Scratch s, double bound) {
        grid.grid(s.header, 0, s.step, s.offset);
        float[] x = s.x, values = grid.levelValues();
        System.arraycopy(w, rowOff + start, x, 0, bs);
        double loss = 0;
        for (int i = 0; i < bs; i++) {
            int col = start + i;
            float q = s.step[i] * values[grid.nearestLevel(x[i], s.step[i], s.offset[i])] + s.offset[i];
            float d = u[col * in + col];
            float e = (x[i] - q) / d;
            loss += (double) (x[i] - q) * (x[i] - q) / ((double) d * d) / 2;
            if (loss >= bound) return loss;
            pushError(e, u, col * in + start, x, i + 1, bs);
        }
        return loss;
    }

    /** One column's GPTQ update on a block copy of a row: x[j] -= e U[ub + j] for j in [from, to), as the loop does. */
    static void pushError(float e, float[] u, int ub, float[] x, int from, int to) {
        int j = from, lanes = F.length();
        FloatVector ev = FloatVector.broadcast(F, -e);
        for (; j + lanes <= to; j += lanes) FloatVector.fromArray(F, u, ub + j).fma(ev, FloatVector.fromArray(F, x, j)).intoArray(x, j);
        for (; j < to; j++) x[j] = Math.fma(-e, u[ub + j], x[j]);
    }
}
