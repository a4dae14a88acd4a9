package dev.calq.calibration.quant;

import dev.calq.formats.quantized.ColumnEncoder;
import dev.calq.formats.quantized.QuantizedLinear;

/**
 * The integer group grid as GPTQ's {@link ColumnEncoder}, following the reference gptq.py: a scale block is one group
 * of {@link GridConfig#effectiveGroupSize} positions whose scale/zero come from the working weights when its lazy
 * batch starts; with static groups every group is fixed beforehand from the unmodified weight (dead columns zeroed),
 * in natural column order, so act-order positions look their group up through the permutation; with group size -1
 * one scale per row from the original weight. The result's g_idx records each natural column's group.
 */
public final class GridColumnEncoder implements ColumnEncoder<QuantizedLinear> {
    private final GridConfig config;
    private final QuantGrid grid;
    private final int out;
    private final int in;
    private final int gs;
    private final int[] perm;
    private final boolean fixed;
    private final int[] groupAt;
    private final float[] scales;
    private final int[] zeros;
    private final int[] codesPerm;

    /**
     * @param weight       the natural-order weight [out x in] (not modified)
     * @param perm         quantization order: position p quantizes natural column perm[p]
     * @param dead         natural columns the Hessian never saw (zeroed for static groups, as the reference does)
     * @param staticGroups fix every group's scale from the unmodified weight
     */
    public GridColumnEncoder(GridConfig config, float[] weight, int out, int in, int[] perm, boolean[] dead, boolean staticGroups) {
        this(config, config.grid(), weight, out, in, perm, dead, staticGroups);
    }

    /** As above rounding onto {@code grid} (e.g. NF4's {@link CodebookGrid}) instead of the config's integer grid. */
    public GridColumnEncoder(GridConfig config, QuantGrid grid, float[] weight, int out, int in, int[] perm, boolean[] dead,
                             boolean staticGroups) {
        this.config = config;
        this.grid = grid;
        this.out = out;
        this.in = in;
        this.gs = config.effectiveGroupSize(in);
        this.perm = perm;
        int groups = in / gs;
        this.scales = new float[groups * out];
        this.zeros = new int[groups * out];
        this.codesPerm = new int[out * in];
        boolean isStatic = staticGroups && config.groupSize() != -1;
        this.fixed = isStatic || config.groupSize() == -1;
        if (config.groupSize() == -1) grid.findParams(weight, 0, in, out, in, scales, zeros, 0);
        if (isStatic) {
            float[] natural = weight.clone();
            for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) if (dead[c]) natural[r * in + c] = 0f;
            for (int g = 0; g < groups; g++) grid.findParams(natural, g * gs, in, out, gs, scales, zeros, g * out);
        }
        // The group of the column quantized at position p (scales are indexed by it).
        this.groupAt = new int[in];
        for (int p = 0; p < in; p++) groupAt[p] = isStatic ? perm[p] / gs : p / gs;
    }

    @Override public int blockColumns() { return gs; }

    @Override
    public void chooseScales(float[] w, int in, int start) {
        if (!fixed) grid.findParams(w, start, in, out, gs, scales, zeros, start / gs * out);
    }

    @Override
    public float round(int row, int position, float x) {
        int g = groupAt[position] * out + row;
        int code = grid.codeOf(x, scales[g], zeros[g]);
        codesPerm[row * in + position] = code;
        return grid.valueOf(code, scales[g], zeros[g]);
    }

    @Override
    public QuantizedLinear finish() {
        int[] codes = new int[out * in];
        for (int r = 0; r < out; r++) {
            int row = r * in;
            for (int p = 0; p < in; p++) codes[row + perm[p]] = codesPerm[row + p];
        }
        int[] gIdx = new int[in];
        for (int p = 0; p < in; p++) gIdx[perm[p]] = groupAt[p];
        return new QuantizedLinear(out, in, config.bits(), config.groupSize(), config.sym(), codes, scales, zeros, gIdx,
                grid instanceof CodebookGrid cb ? cb.table() : null);
    }
}
