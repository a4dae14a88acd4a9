package dev.calq.gptq;

import dev.calq.formats.Parallel;
import dev.calq.formats.gguf.quant.PointGrid;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.quantized.ColumnEncoder;

/**
 * Vector GPTQ's column encoder for the IQ1-IQ3 codebook types, whose grid points span {@code dim} (8 or 4)
 * consecutive columns of a row. At the first column of each super-block of 256 the type's own importance-weighted
 * search writes the block from the row as updated so far ({@link PointGrid#chooseScales}); that fixes the
 * super-scale, the sub-block scales, the sign bits and a first point per group. Then, at the first column of each
 * group, the group is assigned jointly: if GPTQ's feedback has not moved its weights since the header was chosen
 * the type's own point stays (so H = I reproduces the type's plain quantization byte for byte), otherwise the
 * point of the whole codebook nearest to the updated weights under the fixed header, weighted by the importance
 * (the Hessian's diagonal). The loop then pushes the group's errors column by column through U, which is the
 * group's triangular solve: the error that reaches the later columns is (x_G - q_G) U_GG^-T U_G,rest.
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
    private final ThreadLocal<float[]> cost;
    private float[] w;

    PointColumnEncoder(PointGrid grid, int out, int in, float[] importance) {
        this.grid = grid;
        this.type = grid.type();
        this.out = out;
        this.in = in;
        this.dim = grid.dim();
        this.rowBytes = Math.toIntExact(type.rowBytes(in));
        this.importance = importance;
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
        int points = grid.points();
        cost = ThreadLocal.withInitial(() -> new float[points]);
    }

    @Override public int blockColumns() { return QK; }

    @Override
    public void chooseScales(float[] w, int n, int start) {
        this.w = w;
        int block = start / QK;
        Parallel.forRange(out, 8, (from, to) -> {
            float[] m = new float[QK], a = new float[QK], s = new float[QK];
            for (int r = from; r < to; r++) {
                int at = r * rowBytes + block * type.typeSize();
                grid.chooseScales(w, r * in, in, importance, block, bytes, at);
                grid.elements(bytes, at, m, a, s);
                System.arraycopy(m, 0, mul, r * QK, QK);
                System.arraycopy(a, 0, add, r * QK, QK);
                System.arraycopy(s, 0, sgn, r * QK, QK);
                System.arraycopy(w, r * in + start, snapshot, r * QK, QK);
            }
        });
    }

    @Override
    public float round(int row, int position, float x) {
        int i = position % QK, k = i % dim;
        if (k == 0) assign(row, position, i);
        float q = current[row * dim + k];
        deq[row * in + position] = q;
        return q;
    }

    /** Chooses the point of the group starting at {@code position} from the row's current (error-updated) weights. */
    private void assign(int row, int position, int i) {
        int base = row * in + position, e = row * QK + i;
        int at = row * rowBytes + (position / QK) * type.typeSize(), group = i / dim;
        boolean moved = false;
        for (int j = 0; j < dim; j++) moved |= w[base + j] != snapshot[e + j];
        int incumbent = grid.point(bytes, at, group);
        int g = moved ? grid.nearestPoint(w, base, weights, position, mul, add, sgn, e, incumbent, cost.get()) : incumbent;
        if (g != incumbent) grid.setPoint(bytes, at, group, g);
        for (int j = 0; j < dim; j++) current[row * dim + j] = grid.value(g, e + j, mul, add, sgn);
    }

    @Override public byte[] finish() { return bytes; }

    float[] dequantized() { return deq; }
}
