package dev.calq.gptq;

import dev.calq.formats.Parallel;
import dev.calq.calibration.kernels.MatMul;
import dev.calq.calibration.quant.Rtn;
import dev.calq.calibration.quant.GridColumnEncoder;
import dev.calq.formats.quantized.ColumnEncoder;
import dev.calq.formats.quantized.QuantizedLinear;
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
 * <p>The rounding goes through a {@link ColumnEncoder}, the storage encoding's hook (the integer grid's
 * {@link GridColumnEncoder} for GPTQ checkpoints). Group scales follow the reference: without static groups a group's scale/zero come from the weight as it is
 * when the block containing the group's first column starts (earlier blocks' updates applied, this block's not);
 * with static groups every group is fixed from the unmodified weight; with group size -1 one scale per row from the
 * original weight. Arithmetic is float32 (as the reference), the factorisation float64; the result is deterministic.
 */
public final class GptqQuantizer {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private GptqQuantizer() {}

    /** The quantized layer plus GPTQ's diagnostics. */
    public record Result(QuantizedLinear quantized, double loss, double dampUsed, int retries) {}

    public static QuantizedLinear quantize(float[] weight, int out, int in, HessianAccumulator h, GptqConfig cfg) {
        return quantize(weight, out, in, h.hessian(), cfg);
    }

    public static QuantizedLinear quantize(float[] weight, int out, int in, double[] h, GptqConfig cfg) {
        return quantize("weight", weight, out, in, InverseHessian.prepare("Hessian", h, in, cfg), cfg).quantized();
    }

    /**
     * Quantizes {@code weight} (row-major [out x in], not modified) with a prepared Hessian onto the integer grid of
     * {@code cfg}; {@code name} (e.g. the tensor name) labels error messages.
     */
    public static Result quantize(String name, float[] weight, int out, int in, InverseHessian inv, GptqConfig cfg) {
        check(name, weight, out, in, inv);
        cfg.grid().checkShape(name, in);
        Rtn.checkFinite(name, weight, in);
        GridColumnEncoder grid = new GridColumnEncoder(cfg.grid(), weight, out, in, inv.perm(), inv.dead(), cfg.staticGroups());
        double loss = quantize(weight, out, in, inv, cfg.blockSize(), grid);
        return new Result(grid.finish(), loss, inv.dampUsed(), inv.retries());
    }

    /**
     * GPTQ's column loop onto any {@link ColumnEncoder} (the integer grid, a ggml block type): {@code weight} [out x in]
     * is not modified; columns run in {@link InverseHessian#perm()} order, dead columns zeroed, in lazy batches of
     * {@code blockSize} columns, with the encoder's scale blocks chosen as its contract says. Returns GPTQ's loss
     * (sum over rows and columns of (x - q)^2 / (2 U_cc^2)); the caller takes the result from {@code encoder.finish()}.
     */
    public static double quantize(float[] weight, int out, int in, InverseHessian inv, int blockSize, ColumnEncoder<?> encoder) {
        int eb = encoder.blockColumns();
        if (eb <= 0 || in % eb != 0) throw new IllegalArgumentException(in + " columns are not whole scale blocks of " + eb);
        int[] perm = inv.perm();
        boolean[] dead = inv.dead();
        float[] w = new float[out * in]; // permuted working copy, dead columns zeroed
        for (int r = 0; r < out; r++) {
            int row = r * in;
            for (int p = 0; p < in; p++) w[row + p] = dead[perm[p]] ? 0f : weight[row + perm[p]];
        }
        float[] u = inv.upper();
        double[] rowLoss = new double[out];
        int bs = blockSize;
        float[] err = new float[out * bs];
        for (int i1 = 0; i1 < in; i1 += bs) {
            int i2 = Math.min(i1 + bs, in);
            int count = i2 - i1;
            for (int s = (i1 + eb - 1) / eb * eb; s < i2; s += eb) encoder.chooseScales(w, in, s);
            final int b1 = i1;
            Parallel.forRange(out, 16, (from, to) -> {
                for (int r = from; r < to; r++)
                    rowLoss[r] += quantizeRowBlock(w, r * in, b1, count, in, u, encoder, r, err, r * count);
            });
            if (i2 < in) lazyUpdate(w, out, in, u, err, i1, i2);
        }
        double loss = 0;
        for (double l : rowLoss) loss += l;
        return loss;
    }

    private static void check(String name, float[] weight, int out, int in, InverseHessian inv) {
        if (weight.length != (long) out * in) throw new IllegalArgumentException(name + ": " + weight.length + " values for " + out + "x" + in);
        if (inv.n() != in)
            throw new CalqException(name + ": input dimension " + in + " does not match the Hessian's " + inv.n());
    }

    /** One row through one block: round each column and push its error onto the row's later block columns. */
    private static double quantizeRowBlock(float[] w, int row, int i1, int count, int in, float[] u, ColumnEncoder<?> encoder,
                                           int r, float[] err, int errOff) {
        double loss = 0;
        for (int i = 0; i < count; i++) {
            int col = i1 + i;
            float x = w[row + col];
            float q = encoder.round(r, col, x);
            float d = u[col * in + col];
            float e = (x - q) / d;
            loss += (double) (x - q) * (x - q) / ((double) d * d) / 2;
            err[errOff + i] = e;
            pushError(w, row, col, i1 + count, e, u, in);
        }
        return loss;
    }

    /** w[row, col+1 .. end) -= e * U[col, col+1 .. end): one column's scaled error onto the row's later block columns. */
    static void pushError(float[] w, int row, int col, int end, float e, float[] u, int in) {
        int lanes = F.length();
        int j = col + 1, ub = col * in;
        FloatVector ev = FloatVector.broadcast(F, -e);
        for (; j + lanes <= end; j += lanes) {
            FloatVector.fromArray(F, u, ub + j).fma(ev, FloatVector.fromArray(F, w, row + j)).intoArray(w, row + j);
        }
        for (; j < end; j++) w[row + j] = Math.fma(-e, u[ub + j], w[row + j]);
    }

    /** The lazy batch update W[:, i2:] -= Err . U[i1:i2, i2:] (as C += (-Err) . U); negates err. */
    static void lazyUpdate(float[] w, int out, int in, float[] u, float[] err, int i1, int i2) {
        int count = i2 - i1;
        for (int k = 0; k < out * count; k++) err[k] = -err[k];
        MatMul.mul(err, 0, count, u, i1 * in + i2, in, w, i2, in, out, in - i2, count, true);
    }

}
