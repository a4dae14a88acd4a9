package dev.calq.formats.gguf.quant;

/**
 * A ggml block type split into the two halves that GPTQ inside the type needs: choosing a block's scales (and
 * minimums, sub-block scales, super-scales, all quantized as the type stores them) from a row as it is now, and
 * then coding each element onto the fixed grid those scales define. Under a block's header, element i decodes to
 * {@code step[i] * levelValues()[k] + offset[i]} for its level k, exactly as the type's decoder computes it.
 * Obtained from {@link Quantizers#blockGrid}; stateless and thread-safe.
 */
public interface BlockGrid {
    GgmlType type();

    /** The value of each level code, in code order (consecutive integers for the uniform types, a table for IQ4). */
    float[] levelValues();

    /**
     * Writes block {@code block} of the row at {@code x[xOff .. xOff+ne0)} into {@code out} at {@code o}, the bytes the
     * type's encoder writes for that block (header and levels), reading the row-wide statistics some types use from
     * the row as it is. {@code qw} is null or one importance weight per column of the row.
     */
    void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o);

    /** The grid of every element of the block at {@code o}: {@code step[i]} and {@code offset[i]}, blockSize of each. */
    void grid(byte[] in, int o, float[] step, float[] offset);

    /** Replaces every level of the block at {@code o} by {@code levels[i]} (codes, 0..levelValues().length-1), keeping its header. */
    void packLevels(byte[] levels, byte[] out, int o);

    /** The level code nearest to {@code x} on element grid (step, offset). */
    default int nearestLevel(float x, float step, float offset) {
        float[] v = levelValues();
        if (step == 0) return 0;
        float t = (x - offset) / step;
        if (uniform()) {
            int k = Math.round(t - v[0]);
            return Math.max(0, Math.min(v.length - 1, k));
        }
        int best = 0;
        float bestErr = Float.POSITIVE_INFINITY;
        for (int k = 0; k < v.length; k++) {
            float e = Math.abs(t - v[k]);
            if (e < bestErr) {
                bestErr = e;
                best = k;
            }
        }
        return best;
    }

    /** Whether the level values are consecutive integers (so rounding is arithmetic). */
    default boolean uniform() {
        float[] v = levelValues();
        for (int k = 1; k < v.length; k++) if (v[k] != v[0] + k) return false;
        return true;
    }
}
