package dev.calq.gptq;

import dev.calq.formats.Parallel;
import dev.calq.formats.gguf.quant.PointGrid;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.quantized.ColumnEncoder;

/**
 * Vector GPTQ's column encoder for the IQ1-IQ3 codebook types, whose grid points span {@code dim} (8 or 4)
 * consecutive columns of a row. At the first column of each super-block of 256 the type's own importance-weighted
 * search writes the block from the row as updated so far ({@link PointGrid#chooseScales}; or, with a
 * {@link PointHeaderChoice}, the candidate of that search with the smallest GPTQ loss over the block); that fixes the
 * super-scale, the sub-block scales, the IQ1 deltas and a first choice of points and signs. Then, at the first
 * column of each group, the group is assigned jointly by {@link PointGroupCoder}: if GPTQ's feedback has not moved
 * its weights since the header was chosen the type's own choice stays (so H = I reproduces the type's plain
 * quantization byte for byte), otherwise the point (and in the IQ2/IQ3 types the signs) nearest to the updated
 * weights under the fixed scales, weighted by the importance (the Hessian's diagonal). The loop then pushes the
 * group's errors column by column through U, which is the group's triangular solve: the error that reaches the
 * later columns is (x_G - q_G) U_GG^-T U_G,rest.
 */
final class PointColumnEncoder implements ColumnEncoder<byte[]> {
    private static final int QK = 256;

    private final PointGrid grid;
    private final GgmlType type;
    private final int out, in, dim, rowBytes;
    private final float[] importance, weights;
    private final float[] mul, add, sgn, snapshot, current;
    private final float[] deq;
    private final byte[] bytes;
    private final PointGroupCoder.Block[] blocks;
    private final ThreadLocal<PointGroupCoder> coder;
    private final PointHeaderChoice headerChoice;
    private float[] w;

    /** {@code headerChoice} null: each header is the type's own search under {@code importance}. */
    PointColumnEncoder(PointGrid grid, int out, int in, float[] importance, PointHeaderChoice headerChoice) {
        this.grid = grid;
        this.type = grid.type();
        this.out = out;
        this.in = in;
        this.dim = grid.dim();
        this.rowBytes = Math.toIntExact(type.rowBytes(in));
        this.importance = importance;
        this.headerChoice = headerChoice;
        if (importance != null) {
            weights = importance;
        } else {
            weights = new float[in];
            java.util.Arrays.fill(weights, 1f);
        }
        mul = new float[out * QK];
        add = new float[out * QK];
        sgn = new float[out * QK];
        snapshot = new float[out * QK];
        current = new float[out * dim];
        deq = new float[out * in];
        bytes = new byte[Math.multiplyExact(out, rowBytes)];
        blocks = new PointGroupCoder.Block[out];
        for (int r = 0; r < out; r++) {
            blocks[r] = new PointGroupCoder.Block(bytes, mul, add, sgn, snapshot);
            blocks[r].e0 = r * QK;
        }
        coder = ThreadLocal.withInitial(() -> new PointGroupCoder(grid));
    }

    @Override public int blockColumns() { return QK; }

    @Override
    public void chooseScales(float[] w, int n, int start) {
        this.w = w;
        int block = start / QK;
        Parallel.forRange(out, 8, (from, to) -> {
            float[] m = new float[QK], a = new float[QK], s = new float[QK];
            PointHeaderChoice.Scratch scratch = headerChoice == null ? null : headerChoice.scratch();
            for (int r = from; r < to; r++) {
                int at = r * rowBytes + block * type.typeSize();
                if (headerChoice == null) grid.chooseScales(w, r * in, in, importance, block, bytes, at);
                else headerChoice.choose(w, r * in, block, weights, bytes, at, scratch);
                grid.elements(bytes, at, m, a, s);
                System.arraycopy(m, 0, mul, r * QK, QK);
                System.arraycopy(a, 0, add, r * QK, QK);
                System.arraycopy(s, 0, sgn, r * QK, QK);
                System.arraycopy(w, r * in + start, snapshot, r * QK, QK);
                blocks[r].at = at;
            }
        });
    }

    @Override
    public float round(int row, int position, float x) {
        int i = position % QK, k = i % dim;
        if (k == 0) coder.get().assign(blocks[row], w, row * in + position, weights, position, i, current, row * dim);
        float q = current[row * dim + k];
        deq[row * in + position] = q;
        return q;
    }

    @Override public byte[] finish() { return bytes; }

    float[] dequantized() { return deq; }
}
