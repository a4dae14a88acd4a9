package dev.calq.calibration.quant;

import dev.calq.formats.CalqException;

/**
 * Options of the integer group grid (the encoding of GPTQ and AWQ checkpoints), shared by GPTQ, RTN and AWQ.
 * GPTQ's own options (act-order, static groups, damping, block size, true-sequential) live in the gptq module's
 * GptqConfig, so AWQ and RTN never see them.
 *
 * @param bits      code width: 2, 3, 4 or 8
 * @param groupSize input columns sharing one scale/zero per output row; -1 means one group per row
 * @param sym       symmetric grid (zero fixed at 2^(bits-1)) or asymmetric (zero from the group's minimum)
 * @param mseClip   search shrink factors of the min/max range minimising the |error|^2.4 (GPTQ's "mse" option)
 */
public record GridConfig(int bits, int groupSize, boolean sym, boolean mseClip) {

    public GridConfig {
        if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
            throw new CalqException("bits " + bits + " is not supported (choose 2, 3, 4 or 8)");
        if (groupSize != -1 && groupSize <= 0)
            throw new CalqException("group size " + groupSize + " is not supported (choose -1 or a positive size such as 32, 64, 128)");
    }

    /** The usual INT4 setting: 4 bits, groups of 128, symmetric, no clip search. */
    public static GridConfig defaults() { return new GridConfig(4, 128, true, false); }

    public GridConfig withBits(int b) { return new GridConfig(b, groupSize, sym, mseClip); }

    public GridConfig withGroupSize(int g) { return new GridConfig(bits, g, sym, mseClip); }

    public GridConfig withSym(boolean s) { return new GridConfig(bits, groupSize, s, mseClip); }

    public GridConfig withMseClip(boolean m) { return new GridConfig(bits, groupSize, sym, m); }

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
