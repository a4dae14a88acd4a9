package dev.calq.gptq;

import dev.calq.calibration.quant.Rtn;
import dev.calq.formats.CalqException;
import dev.calq.formats.Parallel;
import dev.calq.formats.gguf.quant.BlockGrid;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.PointGrid;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.quantized.ColumnEncoder;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * GPTQ inside a ggml block type: {@link GptqQuantizer}'s column loop with the type's own grid as its
 * {@link ColumnEncoder}. At the first column of each ggml block (32 or 256 columns) the block's scales (mins,
 * sub-block scales, super-scales, quantized as the type stores them) are chosen, row by row, by the type's
 * importance-weighted search from the weights as updated so far, the importance being the Hessian's diagonal; every
 * column of the block is then coded onto that fixed grid (nearest level, {@link BlockGrid#nearestLevel}) and GPTQ
 * pushes its error onto the later columns through U. The lazy batch is one ggml block, so a block's scales see
 * every earlier column's update. The output is the type's block bytes; the dequantized weight returned is exactly
 * what those bytes decode to.
 *
 * <p>The IQ4 types are a scalar codebook (each level is one weight), so a "group a grid point spans" is one column
 * and the loop is the same. The IQ1-IQ3 types, whose grid points span 4 or 8 columns, go through
 * {@link PointColumnEncoder} (vector GPTQ: each group assigned jointly). Natural column order only: act-order's permutation would not form contiguous blocks
 * (see docs/algorithms.md).
 */
public final class GgufGptqQuantizer {
    /** The type's bytes (rows of {@code type.rowBytes(in)}), their decoded values, and GPTQ's loss sum (x-q)^2/(2 U_cc^2). */
    public record Result(GgmlType type, byte[] bytes, float[] dequantized, double loss) {}

    /**
     * How a block's scales are chosen from the updated row: {@code DIAGONAL} by the type's own search with the
     * Hessian's diagonal as the importance; {@code HESSIAN}, for the K-types and the IQ1-IQ3 codebook types, among
     * several candidate headers of that search the one with the smallest GPTQ loss over the block
     * ({@link HessianScaleChoice}, {@link PointHeaderChoice}). The other types keep the diagonal choice under
     * {@code HESSIAN}: with their 32-column blocks the block-greedy choice raised the total Hessian-weighted error on
     * random tests (Q4_0), and for the IQ4 types it was not tried.
     */
    public enum ScaleChoice { DIAGONAL, HESSIAN }

    /** The scalar types {@link ScaleChoice#HESSIAN} applies to (besides the IQ1-IQ3 codebook types). */
    public static final Set<GgmlType> HESSIAN_SCALE_TYPES = Collections.unmodifiableSet(
            EnumSet.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K));

    private GgufGptqQuantizer() {}

    /**
     * Quantizes {@code weight} (row-major [out x in], not modified) to {@code type}. {@code importance} is the
     * per-column importance the type's scale search weights by (normally the Hessian's diagonal); {@code inv} must be
     * prepared without act-order. {@code name} labels errors.
     */
    public static Result quantize(String name, float[] weight, int out, int in, InverseHessian inv, float[] importance, GgmlType type) {
        return quantize(name, weight, out, in, inv, importance, type, ScaleChoice.DIAGONAL);
    }

    /** As above, with the block scales chosen as {@code choice} says. */
    public static Result quantize(String name, float[] weight, int out, int in, InverseHessian inv, float[] importance, GgmlType type,
                                  ScaleChoice choice) {
        if (weight.length != (long) out * in) throw new IllegalArgumentException(name + ": " + weight.length + " values for " + out + "x" + in);
        if (inv.n() != in) throw new CalqException(name + ": input dimension " + in + " does not match the Hessian's " + inv.n());
        for (int p = 0; p < in; p++) {
            if (inv.perm()[p] != p) throw new CalqException(name + ": GPTQ inside ggml blocks quantizes columns in order; act-order is not supported");
        }
        if (importance != null && importance.length != in) throw new IllegalArgumentException(name + ": importance has " + importance.length + " columns for " + in);
        if (!supports(type)) throw new CalqException(name + ": GPTQ cannot run inside ggml type " + type.ggmlName());
        int bs = type.blockSize();
        if (in % bs != 0) throw new CalqException(name + ": " + in + " columns are not a multiple of " + type.ggmlName() + "'s block of " + bs);
        Rtn.checkFinite(name, weight, in);
        if (Quantizers.hasPointGrid(type)) {
            PointGrid points = Quantizers.pointGrid(type);
            PointHeaderChoice header = choice == ScaleChoice.HESSIAN
                    ? new PointHeaderChoice(points, inv.upper(), in, PointHeaderChoice.candidates(importance, inv.upper(), in)) : null;
            PointColumnEncoder enc = new PointColumnEncoder(points, out, in, importance, header);
            double loss = GptqQuantizer.quantize(weight, out, in, inv, bs, enc);
            return new Result(type, enc.finish(), enc.dequantized(), loss);
        }
        BlockGrid grid = Quantizers.blockGrid(type);
        HessianScaleChoice hessian = choice == ScaleChoice.HESSIAN && HESSIAN_SCALE_TYPES.contains(type)
                ? new HessianScaleChoice(grid, inv.upper(), in, HessianScaleChoice.candidates(importance, inv.upper(), in)) : null;
        Encoder enc = new Encoder(grid, type, out, in, importance, hessian);
        double loss = GptqQuantizer.quantize(weight, out, in, inv, bs, enc);
        return new Result(type, enc.finish(), enc.deq, loss);
    }

    /** Whether GPTQ can run inside the type: a scalar {@link BlockGrid} type or an IQ1-IQ3 codebook type. */
    public static boolean supports(GgmlType type) {
        return Quantizers.hasBlockGrid(type) || Quantizers.hasPointGrid(type);
    }

    /** The ggml type as GPTQ's column encoder: per row, the current block's grid and levels. */
    private static final class Encoder implements ColumnEncoder<byte[]> {
        private final BlockGrid grid;
        private final GgmlType type;
        private final int out, in, bs, rowBytes;
        private final float[] importance, values, step, offset, deq;
        private final byte[] levels, bytes;
        private final HessianScaleChoice hessian;

        Encoder(BlockGrid grid, GgmlType type, int out, int in, float[] importance, HessianScaleChoice hessian) {
            this.hessian = hessian;
            this.grid = grid;
            this.type = type;
            this.out = out;
            this.in = in;
            this.bs = type.blockSize();
            this.rowBytes = Math.toIntExact(type.rowBytes(in));
            this.importance = importance;
            this.values = grid.levelValues();
            this.step = new float[out * bs];
            this.offset = new float[out * bs];
            this.levels = new byte[out * bs];
            this.deq = new float[out * in];
            this.bytes = new byte[Math.multiplyExact(out, rowBytes)];
        }

        @Override public int blockColumns() { return bs; }

        @Override
        public void chooseScales(float[] w, int n, int start) {
            int block = start / bs;
            Parallel.forRange(out, 8, (from, to) -> {
                float[] s = new float[bs], o = new float[bs];
                HessianScaleChoice.Scratch scratch = hessian == null ? null : hessian.scratch();
                for (int r = from; r < to; r++) {
                    int at = r * rowBytes + block * type.typeSize();
                    if (hessian == null) grid.chooseScales(w, r * in, in, importance, block, bytes, at);
                    else hessian.choose(w, r * in, block, bytes, at, scratch);
                    grid.grid(bytes, at, s, o);
                    System.arraycopy(s, 0, step, r * bs, bs);
                    System.arraycopy(o, 0, offset, r * bs, bs);
                }
            });
        }

        @Override
        public float round(int row, int position, float x) {
            int i = position % bs, e = row * bs + i;
            int k = grid.nearestLevel(x, step[e], offset[e]);
            levels[e] = (byte) k;
            float q = step[e] * values[k] + offset[e];
            deq[row * in + position] = q;
            if (i == bs - 1) {
                byte[] rowLevels = new byte[bs];
                System.arraycopy(levels, row * bs, rowLevels, 0, bs);
                grid.packLevels(rowLevels, bytes, row * rowBytes + (position / bs) * type.typeSize());
            }
            return q;
        }

        @Override public byte[] finish() { return bytes; }
    }

    /** The Hessian's diagonal as the importance the scale searches weigh columns by (llama.cpp's imatrix is proportional to it). */
    public static float[] diagonal(double[] h, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) h[i * n + i];
        return d;
    }
}
