package dev.calq.calibration.quant;

import dev.calq.formats.CalqException;

/**
 * Options of grid (integer) weight quantization shared by GPTQ, RTN and AWQ.
 *
 * @param bits         code width: 2, 3, 4 or 8
 * @param groupSize    input columns sharing one scale/zero per output row; -1 means one group per row
 * @param sym          symmetric grid (zero fixed at 2^(bits-1)) or asymmetric (zero from the group's minimum)
 * @param actOrder     GPTQ: quantize columns in order of decreasing Hessian diagonal (g_idx records the groups)
 * @param staticGroups GPTQ: compute every group's scale from the unmodified weight before the error propagation
 * @param damp         GPTQ: fraction of the mean Hessian diagonal added to the diagonal
 * @param blockSize    GPTQ: columns per lazy batch update
 * @param mseClip      search shrink factors of the min/max range minimising the |error|^2.4 (GPTQ's "mse" option)
 */
public record QuantConfig(int bits, int groupSize, boolean sym, boolean actOrder, boolean staticGroups, double damp,
                          int blockSize, boolean mseClip) {

    public QuantConfig {
        if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
            throw new CalqException("bits " + bits + " is not supported (choose 2, 3, 4 or 8)");
        if (groupSize != -1 && groupSize <= 0)
            throw new CalqException("group size " + groupSize + " is not supported (choose -1 or a positive size such as 32, 64, 128)");
        if (!(damp >= 0) || !Double.isFinite(damp))
            throw new CalqException("damp " + damp + " must be a finite fraction >= 0 (default 0.01)");
        if (blockSize <= 0) throw new CalqException("block size " + blockSize + " must be positive (default 128)");
    }

    /** The usual INT4 setting: 4 bits, groups of 128, symmetric, no act-order, damp 0.01, blocks of 128. */
    public static QuantConfig defaults() {
        return new QuantConfig(4, 128, true, false, false, 0.01, 128, false);
    }

    public QuantConfig withBits(int b) { return new QuantConfig(b, groupSize, sym, actOrder, staticGroups, damp, blockSize, mseClip); }

    public QuantConfig withGroupSize(int g) { return new QuantConfig(bits, g, sym, actOrder, staticGroups, damp, blockSize, mseClip); }

    public QuantConfig withSym(boolean s) { return new QuantConfig(bits, groupSize, s, actOrder, staticGroups, damp, blockSize, mseClip); }

    public QuantConfig withActOrder(boolean a) { return new QuantConfig(bits, groupSize, sym, a, staticGroups, damp, blockSize, mseClip); }

    public QuantConfig withStaticGroups(boolean s) { return new QuantConfig(bits, groupSize, sym, actOrder, s, damp, blockSize, mseClip); }

    public QuantConfig withDamp(double d) { return new QuantConfig(bits, groupSize, sym, actOrder, staticGroups, d, blockSize, mseClip); }

    public QuantConfig withBlockSize(int b) { return new QuantConfig(bits, groupSize, sym, actOrder, staticGroups, damp, b, mseClip); }

    public QuantConfig withMseClip(boolean m) { return new QuantConfig(bits, groupSize, sym, actOrder, staticGroups, damp, blockSize, m); }

    /** Largest code, 2^bits - 1. */
    public int maxq() { return (1 << bits) - 1; }

    /** The number of columns in one group for a layer with {@code in} input columns. */
    public int effectiveGroupSize(int in) { return groupSize == -1 ? in : groupSize; }

    /** Checks that a layer of {@code in} input columns splits into whole groups; {@code what} names the layer. */
    public void checkShape(String what, int in) {
        if (groupSize != -1 && in % groupSize != 0)
            throw new CalqException(what + ": input dimension " + in + " is not divisible by the group size " + groupSize
                    + " (choose a group size that divides it, or -1)");
    }

    /** A grid with these options. */
    public QuantGrid grid() { return new QuantGrid(bits, sym, mseClip); }
}
