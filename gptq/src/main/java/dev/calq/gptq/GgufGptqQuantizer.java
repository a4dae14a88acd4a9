package dev.calq.gptq;

import dev.calq.formats.Parallel;
import dev.calq.calibration.quant.Rtn;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.BlockGrid;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;

/**
 * GPTQ inside a ggml block type: the column loop of {@link GptqQuantizer} over the input dimension, where the grid
 * is the type's own. When the loop reaches the first column of a ggml block (32 or 256 columns) of a row, the
 * block's scales (mins, sub-block scales, super-scales, quantized as the type stores them) are chosen by the type's
 * importance-weighted search from the row as updated so far, the importance being the Hessian's diagonal; every
 * column of the block is then coded onto that fixed grid (nearest level, {@link BlockGrid#nearestLevel}) and its
 * error pushed onto the later columns through U, the upper Cholesky factor of H^-1. The output is the type's block
 * bytes; the dequantized weight returned is exactly what those bytes decode to.
 *
 * <p>The IQ4 types are a scalar codebook (each level is one weight), so a "group a grid point spans" is one column
 * and the loop is the same. Natural column order only: a block's columns must be quantized after its scales are
 * chosen and before the next block's, which act-order's permutation breaks (see docs/algorithms.md).
 */
public final class GgufGptqQuantizer {
    /** The type's bytes (rows of {@code type.rowBytes(in)}), their decoded values, and GPTQ's loss sum (x-q)^2/(2 U_cc^2). */
    public record Result(GgmlType type, byte[] bytes, float[] dequantized, double loss) {}

    private GgufGptqQuantizer() {}

    /**
     * Quantizes {@code weight} (row-major [out x in], not modified) to {@code type}. {@code importance} is the
     * per-column importance the type's scale search weights by (normally the Hessian's diagonal); {@code inv} must be
     * prepared without act-order. {@code name} labels errors.
     */
    public static Result quantize(String name, float[] weight, int out, int in, InverseHessian inv, float[] importance, GgmlType type) {
        if (weight.length != (long) out * in) throw new IllegalArgumentException(name + ": " + weight.length + " values for " + out + "x" + in);
        if (inv.n() != in) throw new CalqException(name + ": input dimension " + in + " does not match the Hessian's " + inv.n());
        for (int p = 0; p < in; p++) {
            if (inv.perm()[p] != p) throw new CalqException(name + ": GPTQ inside ggml blocks quantizes columns in order; act-order is not supported");
        }
        if (importance != null && importance.length != in) throw new IllegalArgumentException(name + ": importance has " + importance.length + " columns for " + in);
        BlockGrid grid;
        try {
            grid = Quantizers.blockGrid(type);
        } catch (IllegalArgumentException e) {
            throw new CalqException(name + ": " + e.getMessage());
        }
        int bs = type.blockSize();
        if (in % bs != 0) throw new CalqException(name + ": " + in + " columns are not a multiple of " + type.ggmlName() + "'s block of " + bs);
        Rtn.checkFinite(name, weight, in);

        float[] w = weight.clone();
        boolean[] dead = inv.dead();
        for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) if (dead[c]) w[r * in + c] = 0f;
        int rowBytes = Math.toIntExact(type.rowBytes(in));
        byte[] bytes = new byte[Math.multiplyExact(out, rowBytes)];
        float[] deq = new float[out * in];
        float[] u = inv.upper();
        float[] values = grid.levelValues();
        double[] rowLoss = new double[out];
        // The lazy batch spans whole ggml blocks, so each block's columns get every earlier update before its scales are chosen.
        int lazy = Math.max(128, bs);
        float[] err = new float[out * lazy];
        for (int i1 = 0; i1 < in; i1 += lazy) {
            int i2 = Math.min(i1 + lazy, in);
            int count = i2 - i1;
            final int b1 = i1;
            Parallel.forRange(out, 16, (from, to) -> {
                float[] step = new float[bs];
                float[] offset = new float[bs];
                byte[] levels = new byte[bs];
                for (int r = from; r < to; r++) {
                    int row = r * in;
                    double loss = 0;
                    for (int c = b1; c < b1 + count; c++) {
                        int i = c % bs;
                        int o = r * rowBytes + (c / bs) * type.typeSize();
                        if (i == 0) {
                            grid.chooseScales(w, row, in, importance, c / bs, bytes, o);
                            grid.grid(bytes, o, step, offset);
                        }
                        float x = w[row + c];
                        int k = grid.nearestLevel(x, step[i], offset[i]);
                        levels[i] = (byte) k;
                        float q = step[i] * values[k] + offset[i];
                        deq[row + c] = q;
                        if (i == bs - 1) grid.packLevels(levels, bytes, o);
                        float d = u[c * in + c];
                        float e = (x - q) / d;
                        loss += (double) (x - q) * (x - q) / ((double) d * d) / 2;
                        err[r * count + c - b1] = e;
                        GptqQuantizer.pushError(w, row, c, b1 + count, e, u, in);
                    }
                    rowLoss[r] += loss;
                }
            });
            if (i2 < in) GptqQuantizer.lazyUpdate(w, out, in, u, err, i1, i2);
        }
        double loss = 0;
        for (double l : rowLoss) loss += l;
        return new Result(type, bytes, deq, loss);
    }

    /** The Hessian's diagonal as the importance the scale searches weigh columns by (llama.cpp's imatrix is proportional to it). */
    public static float[] diagonal(double[] h, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) h[i * n + i];
        return d;
    }
}
