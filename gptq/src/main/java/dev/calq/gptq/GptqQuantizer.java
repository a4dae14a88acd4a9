package dev.calq.gptq;

import dev.calq.calibration.kernels.Parallel;
import dev.calq.calibration.kernels.MatMul;
import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.quant.QuantConfig;
import dev.calq.calibration.quant.QuantGrid;
import dev.calq.calibration.quant.QuantizedLinear;
import dev.calq.formats.CalqException;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GPTQ (Frantar et al. 2022; IST-DASLab/gptq gptq.py): quantizes a weight [out x in] column by column in the order
 * of {@link InverseHessian#perm()}, pushing each column's rounding error onto the not yet quantized columns through
 * U, the upper Cholesky factor of H^-1. Inside a block of {@code blockSize} columns the update is applied per row
 * (rows are independent given U, so each row runs its block in cache); the rest of the matrix gets the block's
 * errors at once as one matrix product (the lazy batch update).
 *
 * <p>Group scales follow the reference: without static groups a group's scale/zero come from the weight as it is
 * when the block containing the group's first column starts (earlier blocks' updates applied, this block's not);
 * with static groups every group is fixed from the unmodified weight; with group size -1 one scale per row from the
 * original weight. Arithmetic is float32 (as the reference), the factorisation float64; the result is deterministic.
 */
public final class GptqQuantizer {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private GptqQuantizer() {}

    /** The quantized layer plus GPTQ's diagnostics. */
    public record Result(QuantizedLinear quantized, double loss, double dampUsed, int retries) {}

    public static QuantizedLinear quantize(float[] weight, int out, int in, HessianAccumulator h, QuantConfig cfg) {
        return quantize(weight, out, in, h.hessian(), cfg);
    }

    public static QuantizedLinear quantize(float[] weight, int out, int in, double[] h, QuantConfig cfg) {
        return quantize("weight", weight, out, in, InverseHessian.prepare("Hessian", h, in, cfg), cfg).quantized();
    }

    /**
     * Quantizes {@code weight} (row-major [out x in], not modified) with a prepared Hessian; {@code name} (e.g. the
     * tensor name) labels error messages.
     */
    public static Result quantize(String name, float[] weight, int out, int in, InverseHessian inv, QuantConfig cfg) {
        return quantize(name, weight, out, in, inv, cfg, cfg.grid());
    }

    /** As above on {@code grid} (e.g. a {@link CodebookGrid} for NF4), which replaces the config's integer grid. */
    public static Result quantize(String name, float[] weight, int out, int in, InverseHessian inv, QuantConfig cfg, QuantGrid grid) {
        if (weight.length != (long) out * in) throw new IllegalArgumentException(name + ": " + weight.length + " values for " + out + "x" + in);
        if (inv.n() != in)
            throw new CalqException(name + ": input dimension " + in + " does not match the Hessian's " + inv.n());
        cfg.checkShape(name, in);
        checkFinite(name, weight, in);
        int gs = cfg.effectiveGroupSize(in);
        int groups = in / gs;
        int[] perm = inv.perm();
        boolean[] dead = inv.dead();
        float[] scales = new float[groups * out];
        int[] zeros = new int[groups * out];

        if (cfg.groupSize() == -1) grid.findParams(weight, 0, in, out, in, scales, zeros, 0);
        float[] w = new float[out * in]; // permuted working copy, dead columns zeroed
        for (int r = 0; r < out; r++) {
            int row = r * in;
            for (int p = 0; p < in; p++) w[row + p] = dead[perm[p]] ? 0f : weight[row + perm[p]];
        }
        boolean staticGroups = cfg.staticGroups() && cfg.groupSize() != -1;
        if (staticGroups) {
            float[] natural = weight.clone();
            for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) if (dead[c]) natural[r * in + c] = 0f;
            for (int g = 0; g < groups; g++) grid.findParams(natural, g * gs, in, out, gs, scales, zeros, g * out);
        }
        // The group of the column quantized at position p (scales are indexed by it).
        int[] groupAt = new int[in];
        for (int p = 0; p < in; p++) groupAt[p] = staticGroups ? perm[p] / gs : p / gs;

        float[] u = inv.upper();
        int[] codesPerm = new int[out * in];
        double[] rowLoss = new double[out];
        int bs = cfg.blockSize();
        float[] err = new float[out * bs];
        for (int i1 = 0; i1 < in; i1 += bs) {
            int i2 = Math.min(i1 + bs, in);
            int count = i2 - i1;
            if (!staticGroups && cfg.groupSize() != -1) {
                for (int g = (i1 + gs - 1) / gs; g * gs < i2; g++) grid.findParams(w, g * gs, in, out, gs, scales, zeros, g * out);
            }
            final int b1 = i1;
            Parallel.forRange(out, 16, (from, to) -> {
                for (int r = from; r < to; r++)
                    rowLoss[r] += quantizeRowBlock(w, r * in, b1, count, in, u, groupAt, scales, zeros, out, r, grid,
                            codesPerm, err, r * count);
            });
            if (i2 < in) {
                // W[:, i2:] -= Err1 . U[i1:i2, i2:]  (as C += (-Err1) . U)
                for (int k = 0; k < out * count; k++) err[k] = -err[k];
                MatMul.mul(err, 0, count, u, i1 * in + i2, in, w, i2, in, out, in - i2, count, true);
            }
        }

        int[] codes = new int[out * in];
        for (int r = 0; r < out; r++) {
            int row = r * in;
            for (int p = 0; p < in; p++) codes[row + perm[p]] = codesPerm[row + p];
        }
        int[] gIdx = new int[in];
        for (int p = 0; p < in; p++) gIdx[perm[p]] = groupAt[p];
        double loss = 0;
        for (double l : rowLoss) loss += l;
        QuantizedLinear q = new QuantizedLinear(out, in, cfg.bits(), cfg.groupSize(), cfg.sym(), codes, scales, zeros, gIdx,
                grid instanceof CodebookGrid cb ? cb.table() : null);
        return new Result(q, loss, inv.dampUsed(), inv.retries());
    }

    /** One row through one block: quantize each column and push its error onto the row's later block columns. */
    private static double quantizeRowBlock(float[] w, int row, int i1, int count, int in, float[] u, int[] groupAt,
                                           float[] scales, int[] zeros, int out, int r, QuantGrid grid, int[] codes,
                                           float[] err, int errOff) {
        double loss = 0;
        int lanes = F.length();
        for (int i = 0; i < count; i++) {
            int col = i1 + i;
            int g = groupAt[col] * out + r;
            float x = w[row + col];
            int code = grid.codeOf(x, scales[g], zeros[g]);
            codes[row + col] = code;
            float q = grid.valueOf(code, scales[g], zeros[g]);
            float d = u[col * in + col];
            float e = (x - q) / d;
            loss += (double) (x - q) * (x - q) / ((double) d * d) / 2;
            err[errOff + i] = e;
            // w[row, col+1 .. i2) -= e * U[col, col+1 .. i2)
            int j = col + 1, end = i1 + count, ub = col * in;
            FloatVector ev = FloatVector.broadcast(F, -e);
            for (; j + lanes <= end; j += lanes) {
                FloatVector.fromArray(F, u, ub + j).fma(ev, FloatVector.fromArray(F, w, row + j)).intoArray(w, row + j);
            }
            for (; j < end; j++) w[row + j] = Math.fma(-e, u[ub + j], w[row + j]);
        }
        return loss;
    }

    static void checkFinite(String name, float[] weight, int in) {
        for (int i = 0; i < weight.length; i++) {
            if (!Float.isFinite(weight[i]))
                throw new CalqException(name + ": weight is " + weight[i] + " at row " + i / in + ", column " + i % in + "; cannot quantize non-finite weights");
        }
    }
}
