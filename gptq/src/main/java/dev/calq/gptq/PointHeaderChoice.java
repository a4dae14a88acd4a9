package dev.calq.gptq;

import dev.calq.formats.gguf.quant.PointGrid;

/**
 * The choice of a codebook type's super-block header (IQ1-IQ3) against GPTQ's loss, as {@link HessianScaleChoice}
 * does for the K-types. The type's own search scores a header by the importance-weighted error of the block as if
 * every group's error stayed where it is made; inside vector GPTQ each group's error moves the later groups, which
 * then take other points (and signs). So the type's search is asked for a few candidate headers under different
 * importances, each candidate's block is run through vector GPTQ's group loop on a copy of the row (each group
 * assigned by {@link PointGroupCoder}, its error pushed onto the block's later columns through U), and the header
 * with the smallest GPTQ loss sum (x_c - q_c)^2 / (2 U_cc^2) is written, the first candidate on ties. Every
 * candidate is bytes the type's encoder writes, so the file stays plain llama.cpp bytes.
 */
final class PointHeaderChoice {
    private static final int QK = 256;

    private final PointGrid grid;
    private final int in, typeSize;
    private final float[] u;
    private final float[][] importances;

    /** {@code u} is U [in x in] (natural column order); {@code importances} the candidates' importance vectors. */
    PointHeaderChoice(PointGrid grid, float[] u, int in, float[][] importances) {
        this.grid = grid;
        this.in = in;
        this.typeSize = grid.type().typeSize();
        this.u = u;
        this.importances = importances;
    }

    /**
     * The candidate importances of {@link HessianScaleChoice#candidates}: the Hessian's diagonal, GPTQ's saliency
     * 1 / (H^-1)_cc, and a flat one (all ones: several IQ encoders need an importance, and with a flat one they run
     * their weighted search with weights sqrt(sigma^2 + x^2)).
     */
    static float[][] candidates(float[] diagonal, float[] u, int in) {
        float[][] c = HessianScaleChoice.candidates(diagonal, u, in);
        float[] ones = new float[in];
        java.util.Arrays.fill(ones, 1f);
        for (int k = 0; k < c.length; k++) if (c[k] == null) c[k] = ones;
        return c;
    }

    /** Per-thread scratch: a candidate header, its working copy, the block's element decoding and row segment. */
    final class Scratch {
        final byte[] header = new byte[typeSize], work = new byte[typeSize];
        final float[] x = new float[QK], current = new float[grid.dim()];
        final PointGroupCoder coder = new PointGroupCoder(grid);
        final PointGroupCoder.Block block = new PointGroupCoder.Block(work, new float[QK], new float[QK], new float[QK], new float[QK]);
    }

    Scratch scratch() { return new Scratch(); }

    /**
     * Writes into {@code out} at {@code o} the candidate header for super-block {@code block} of the row at
     * {@code w[rowOff .. rowOff + in)} whose GPTQ loss over the block is smallest ({@code weights}: the group
     * measure's importance, as in the column loop). Returns that loss.
     */
    double choose(float[] w, int rowOff, int block, float[] weights, byte[] out, int o, Scratch s) {
        double best = Double.POSITIVE_INFINITY;
        for (float[] imp : importances) {
            grid.chooseScales(w, rowOff, in, imp, block, s.header, 0);
            double loss = blockLoss(w, rowOff, block * QK, weights, s, best);
            if (loss < best) {
                best = loss;
                System.arraycopy(s.header, 0, out, o, typeSize);
            }
        }
        return best;
    }

    /**
     * GPTQ's loss over one super-block under {@code s.header}: the groups assigned in order as the column loop
     * does, each column's error pushed onto the block's later columns through U. Stops early (returning a value
     * at least {@code bound}) once the loss reaches {@code bound}.
     */
    double blockLoss(float[] w, int rowOff, int start, float[] weights, Scratch s, double bound) {
        PointGroupCoder.Block b = s.block;
        System.arraycopy(s.header, 0, s.work, 0, typeSize);
        grid.elements(s.work, 0, b.mul, b.add, b.sgn);
        float[] x = s.x;
        System.arraycopy(w, rowOff + start, x, 0, QK);
        System.arraycopy(x, 0, b.snapshot, 0, QK);
        b.at = 0;
        b.e0 = 0;
        int dim = grid.dim();
        double loss = 0;
        for (int i = 0; i < QK; i += dim) {
            s.coder.assign(b, x, i, weights, start + i, i, s.current, 0);
            for (int k = 0; k < dim; k++) {
                int c = i + k, col = start + c;
                float q = s.current[k], d = u[col * in + col];
                float e = (x[c] - q) / d;
                loss += (double) (x[c] - q) * (x[c] - q) / ((double) d * d) / 2;
                if (loss >= bound) return loss;
                HessianScaleChoice.pushError(e, u, col * in + start, x, c + 1, QK);
            }
        }
        return loss;
    }
}
