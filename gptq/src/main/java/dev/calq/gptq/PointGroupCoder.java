package dev.calq.gptq;

import dev.calq.formats.gguf.quant.PointGrid;

/**
 * The choice of one group's grid point (and, in the signed IQ2/IQ3 types, its signs) under a codebook type's fixed
 * super-block header, from the group's error-updated weights: what vector GPTQ does at the first column of each
 * group, shared by the column loop ({@link PointColumnEncoder}) and the header choice's trial runs
 * ({@link PointHeaderChoice}). One instance per thread (it holds the per-point scratch).
 */
final class PointGroupCoder {
    /**
     * A super-block under its fixed header: its bytes at {@code at} (points and signs are rewritten in place), the
     * header's element decoding and the weights it was chosen from, element 0 at {@code e0}.
     */
    static final class Block {
        final byte[] bytes;
        final float[] mul, add, sgn, snapshot;
        int at, e0;
        /** Whether the first group of the current sign octet changed its stored choice (IQ3 types). */
        boolean octetChanged;

        Block(byte[] bytes, float[] mul, float[] add, float[] sgn, float[] snapshot) {
            this.bytes = bytes;
            this.mul = mul;
            this.add = add;
            this.sgn = sgn;
            this.snapshot = snapshot;
        }
    }

    private final PointGrid grid;
    private final int dim;
    private final float[] cost, penalty, cost2, penalty2;

    PointGroupCoder(PointGrid grid) {
        this.grid = grid;
        this.dim = grid.dim();
        int n = grid.points();
        cost = new float[n];
        penalty = new float[n];
        cost2 = new float[n];
        penalty2 = new float[n];
    }

    /**
     * Chooses the group at element {@code i} (a multiple of dim) of block {@code b} for the updated weights
     * {@code x[xo .. xo+dim)} with importances {@code wts[wo ..]}, stores it in the block's bytes and writes the
     * group's decoded values to {@code current[co .. co+dim)}. Returns the point. If the weights have not moved
     * since the header was chosen the header's own choice stays; otherwise the nearest point of the whole codebook
     * in sum_j d_j (v_j - x_j)^2, d the importance, the stored point kept on ties.
     */
    int assign(Block b, float[] x, int xo, float[] wts, int wo, int i, float[] current, int co) {
        int e = b.e0 + i, group = i / dim;
        boolean moved = false;
        for (int j = 0; j < dim; j++) moved |= x[xo + j] != b.snapshot[e + j];
        int incumbent = grid.point(b.bytes, b.at, group);
        int g;
        if (dim == 4 && group % 2 == 0) b.octetChanged = false;
        if (grid.signs() != PointGrid.Signs.NONE && (moved || (dim == 4 && group % 2 == 1 && b.octetChanged))) {
            g = assignSigned(b, x, xo, wts, wo, i, incumbent);
        } else {
            g = moved ? grid.nearestPoint(x, xo, wts, wo, b.mul, b.add, b.sgn, e, incumbent, cost) : incumbent;
            if (g != incumbent) grid.setPoint(b.bytes, b.at, group, g);
        }
        for (int j = 0; j < dim; j++) current[co + j] = grid.value(g, e + j, b.mul, b.add, b.sgn);
        return g;
    }

    /**
     * Point and signs of a group of a signed type chosen jointly, as the type's encoder does (signs from the
     * weights, magnitudes against the table, the parity rule met by flipping the cheapest element, here the
     * cheapest for each point), under the fixed scales. The IQ3 types' sign octets span two groups of 4: under the
     * parity rule (IQ3_XXS) the first group picks the octet's parity from both halves' best costs (the second half
     * as updated so far), and the second group then meets it. The new choice replaces the stored one only when
     * strictly cheaper in sum_j d_j (v_j - x_j)^2 (plus, at a first half, the second half's predicted best under
     * each choice's parity), so it is never worse in that measure than the choice kept.
     */
    private int assignSigned(Block b, float[] x, int xo, float[] wts, int wo, int i, int incumbent) {
        int e = b.e0 + i, group = i / dim;
        int octet = i / 8, half = dim == 8 ? 0 : group % 2, shift = 4 * half, groupMask = dim == 8 ? 0xff : 0xf;
        int stored = grid.signOctet(b.bytes, b.at, octet);
        int natural = negatives(x, xo, dim);
        int required;
        double extraNew = 0, extraInc = 0;
        grid.signedCosts(x, xo, wts, wo, b.mul, e, cost, penalty);
        if (grid.signs() == PointGrid.Signs.FREE) {
            required = -1;
        } else if (dim == 8) {
            required = 0; // the group is the octet: an even count of negatives
        } else if (half == 1) {
            required = Integer.bitCount(stored & 0xf) & 1; // the same parity as the octet's first half
        } else {
            grid.signedCosts(x, xo + 4, wts, wo + 4, b.mul, e + 4, cost2, penalty2);
            int natural2 = negatives(x, xo + 4, 4);
            double even = best(cost, penalty, natural, 0) + best(cost2, penalty2, natural2, 0);
            double odd = best(cost, penalty, natural, 1) + best(cost2, penalty2, natural2, 1);
            int kept = Integer.bitCount(stored & 0xf) & 1;
            required = even < odd ? 0 : odd < even ? 1 : kept;
            extraNew = best(cost2, penalty2, natural2, required);
            extraInc = best(cost2, penalty2, natural2, kept);
        }
        boolean flip = required >= 0 && (Integer.bitCount(natural) & 1) != required;
        int g = incumbent;
        float bestCost = cost[g] + (flip ? penalty[g] : 0);
        for (int p = 0; p < cost.length; p++) {
            float c = cost[p] + (flip ? penalty[p] : 0);
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
                float pen = grid.table(g, j) * (4 * wts[wo + j] * b.mul[e + j] * Math.abs(x[xo + j]));
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
            double newCost = groupCost(b, x, xo, wts, wo, e, g, mask) + extraNew;
            double incCost = groupCost(b, x, xo, wts, wo, e, incumbent, keptMask) + extraInc;
            changed = newCost < incCost;
        }
        if (dim == 4 && half == 0) b.octetChanged = changed;
        if (!changed) return incumbent;
        if (g != incumbent) grid.setPoint(b.bytes, b.at, group, g);
        if (mask != keptMask) {
            grid.setSignOctet(b.bytes, b.at, octet, (stored & ~(groupMask << shift)) | mask << shift);
            int signs = grid.signOctet(b.bytes, b.at, octet), e0 = b.e0 + 8 * octet;
            for (int j = 0; j < 8; j++) b.sgn[e0 + j] = (signs & (1 << j)) != 0 ? -1f : 1f;
        }
        return g;
    }

    /** Bit j set where x[xo + j] is negative. */
    private static int negatives(float[] x, int xo, int n) {
        int m = 0;
        for (int j = 0; j < n; j++) if (x[xo + j] < 0) m |= 1 << j;
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
    private double groupCost(Block b, float[] x, int xo, float[] wts, int wo, int e, int g, int mask) {
        double c = 0;
        for (int j = 0; j < dim; j++) {
            float s = (mask & (1 << j)) != 0 ? -1f : 1f;
            double diff = (b.mul[e + j] * (grid.table(g, j) + b.add[e + j])) * s - x[xo + j];
            c += wts[wo + j] * diff * diff;
        }
        return c;
    }
}
