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
    private final ThreadLocal<Scratch> scratch;
    /** Per row: whether the first group of the current sign octet changed its stored choice (IQ3 types). */
    private final boolean[] octetChanged;
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
        scratch = ThreadLocal.withInitial(() -> new Scratch(points));
        octetChanged = new boolean[out];
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
        int g;
        if (dim == 4 && group % 2 == 0) octetChanged[row] = false;
        if (grid.signs() != PointGrid.Signs.NONE && (moved || (dim == 4 && group % 2 == 1 && octetChanged[row]))) {
            g = assignSigned(row, base, position, e, at, group, incumbent);
        } else {
            g = moved ? grid.nearestPoint(w, base, weights, position, mul, add, sgn, e, incumbent, scratch.get().cost) : incumbent;
            if (g != incumbent) grid.setPoint(bytes, at, group, g);
        }
        for (int j = 0; j < dim; j++) current[row * dim + j] = grid.value(g, e + j, mul, add, sgn);
    }

    /**
     * Point and signs of a group of a signed type chosen jointly, as the type's encoder does (signs from the
     * weights, magnitudes against the table, the parity rule met by flipping the cheapest element, here the
     * cheapest for each point), under the fixed scales, from the updated weights. The IQ3 types' sign octets span
     * two groups of 4: under the parity rule (IQ3_XXS) the first group picks the octet's parity from both halves'
     * best costs (the second half as updated so far), the second group then meets it. The new choice replaces
     * the stored one only when strictly cheaper in sum_j d_j (v_j - x_j)^2 (plus, at a first half, the second half's
     * predicted best under each choice's parity), so it is never worse in that measure than the choice kept.
     */
    private int assignSigned(int row, int base, int position, int e, int at, int group, int incumbent) {
        Scratch sc = scratch.get();
        int octet = (e % QK) / 8, half = dim == 8 ? 0 : group % 2, shift = 4 * half, groupMask = dim == 8 ? 0xff : 0xf;
        int stored = grid.signOctet(bytes, at, octet);
        int natural = negatives(base, dim);
        int required;
        double extraNew = 0, extraInc = 0;
        grid.signedCosts(w, base, weights, position, mul, e, sc.cost, sc.penalty);
        if (grid.signs() == PointGrid.Signs.FREE) {
            required = -1;
        } else if (dim == 8) {
            required = 0; // the group is the octet: an even count of negatives
        } else if (half == 1) {
            required = Integer.bitCount(stored & 0xf) & 1; // the same parity as the octet's first half
        } else {
            grid.signedCosts(w, base + 4, weights, position + 4, mul, e + 4, sc.cost2, sc.penalty2);
            int natural2 = negatives(base + 4, 4);
            double even = best(sc.cost, sc.penalty, natural, 0) + best(sc.cost2, sc.penalty2, natural2, 0);
            double odd = best(sc.cost, sc.penalty, natural, 1) + best(sc.cost2, sc.penalty2, natural2, 1);
            int kept = Integer.bitCount(stored & 0xf) & 1;
            required = even < odd ? 0 : odd < even ? 1 : kept;
            extraNew = best(sc.cost2, sc.penalty2, natural2, required);
            extraInc = best(sc.cost2, sc.penalty2, natural2, kept);
        }
        boolean flip = required >= 0 && (Integer.bitCount(natural) & 1) != required;
        int g = incumbent;
        float bestCost = sc.cost[g] + (flip ? sc.penalty[g] : 0);
        for (int p = 0; p < sc.cost.length; p++) {
            float c = sc.cost[p] + (flip ? sc.penalty[p] : 0);
            if (c < bestCost) {
                bestCost = c;
                g = p;
            }
        }
        int mask = natural;
        if (flip) {
            int cheapest = 0;
            float min = Float.POSITIVE_INFINITY;
            for (int j = 0; j < dim; j++) {
                float pen = grid.table(g, j) * (4 * weights[position + j] * mul[e + j] * Math.abs(w[base + j]));
                if (pen < min) {
                    min = pen;
                    cheapest = j;
                }
            }
            mask ^= 1 << cheapest;
        }
        int keptMask = (stored >> shift) & groupMask;
        boolean changed = false;
        if (g != incumbent || mask != keptMask) {
            double newCost = groupCost(base, position, e, g, mask) + extraNew;
            double incCost = groupCost(base, position, e, incumbent, keptMask) + extraInc;
            changed = newCost < incCost;
        }
        if (dim == 4 && half == 0) octetChanged[row] = changed;
        if (!changed) return incumbent;
        if (g != incumbent) grid.setPoint(bytes, at, group, g);
        if (mask != keptMask) {
            grid.setSignOctet(bytes, at, octet, (stored & ~(groupMask << shift)) | mask << shift);
            int signs = grid.signOctet(bytes, at, octet), e0 = e - (e % QK) % 8;
            for (int j = 0; j < 8; j++) sgn[e0 + j] = (signs & (1 << j)) != 0 ? -1f : 1f;
        }
        return g;
    }

    /** Bit j set where weight {@code base + j} is negative. */
    private int negatives(int base, int n) {
        int m = 0;
        for (int j = 0; j < n; j++) if (w[base + j] < 0) m |= 1 << j;
        return m;
    }

    /** The smallest of cost[g] (+ penalty[g] when the weights' own signs have the wrong parity for {@code parity}). */
    private static double best(float[] cost, float[] penalty, int natural, int parity) {
        boolean flip = (Integer.bitCount(natural) & 1) != parity;
        float b = Float.POSITIVE_INFINITY;
        for (int g = 0; g < cost.length; g++) b = Math.min(b, cost[g] + (flip ? penalty[g] : 0));
        return b;
    }

    /** sum_j d_j (v_j - x_j)^2 for the group on point g with sign bits {@code mask}, v as the decoder computes it. */
    private double groupCost(int base, int position, int e, int g, int mask) {
        double c = 0;
        for (int j = 0; j < dim; j++) {
            float s = (mask & (1 << j)) != 0 ? -1f : 1f;
            double diff = (mul[e + j] * (grid.table(g, j) + add[e + j])) * s - w[base + j];
            c += weights[position + j] * diff * diff;
        }
        return c;
    }

    @Override public byte[] finish() { return bytes; }

    float[] dequantized() { return deq; }

    /** Per-thread costs over the points: a group's, and (signs) its flip penalties and the octet's other half's. */
    private static final class Scratch {
        final float[] cost, penalty, cost2, penalty2;

        Scratch(int points) {
            cost = new float[points];
            penalty = new float[points];
            cost2 = new float[points];
            penalty2 = new float[points];
        }
    }
}
