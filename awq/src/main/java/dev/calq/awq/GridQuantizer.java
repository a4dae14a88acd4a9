package dev.calq.awq;

import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.quant.QuantGrid;

/**
 * The search's view of the shared grid quantizer: round-to-nearest on a {@link QuantGrid} with the checkpoint's group
 * size, returning the dequantized weights. AWQ's default is the asymmetric integer grid with zero points
 * (GridConfig.sym = false); with a code-table grid ({@code CodebookGrid}, NF4/FP4 with absmax scales in blocks of 64)
 * the scale and clip searches measure the error of the bitsandbytes encoding the checkpoint will hold. The grid has no
 * act-order, so AWQ's groups stay in column order.
 */
public final class GridQuantizer implements WeightQuantizer {
    private final GridConfig config;
    private final QuantGrid grid;

    /** The config's own integer grid. */
    public GridQuantizer(GridConfig config) { this(config, config.grid()); }

    /** {@code grid} (e.g. NF4's code table) in groups of the config's group size. */
    public GridQuantizer(GridConfig config, QuantGrid grid) {
        this.config = config;
        this.grid = grid;
    }

    public GridConfig config() { return config; }

    public QuantGrid grid() { return grid; }

    @Override public int groupSize() { return config.groupSize(); }

    @Override
    public float[] fakeQuantize(float[] w, int rows, int cols) {
        int gs = groupLength(cols);
        if (cols % gs != 0) throw new IllegalArgumentException(cols + " input channels are not whole groups of " + gs);
        float[] q = new float[w.length];
        float[] scales = new float[rows];
        int[] zeros = new int[rows];
        for (int g = 0; g < cols; g += gs) {
            grid.findParams(w, g, cols, rows, gs, scales, zeros, 0);
            for (int r = 0; r < rows; r++) {
                int base = r * cols + g;
                float s = scales[r];
                int z = zeros[r];
                for (int c = 0; c < gs; c++) q[base + c] = grid.valueOf(grid.codeOf(w[base + c], s, z), s, z);
            }
        }
        return q;
    }
}
