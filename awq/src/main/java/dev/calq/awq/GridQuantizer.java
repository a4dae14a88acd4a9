package dev.calq.awq;

import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.quant.QuantGrid;

/**
 * The search's view of the shared grid quantizer: round-to-nearest on {@link QuantGrid} with the checkpoint's bits,
 * group size and symmetry, returning the dequantized weights. AWQ's default is the asymmetric grid with zero points
 * (GridConfig.sym = false); the grid has no act-order, so AWQ's groups stay in column order.
 */
public final class GridQuantizer implements WeightQuantizer {
    private final GridConfig config;
    private final QuantGrid grid;

    public GridQuantizer(GridConfig config) {
        this.config = config;
        this.grid = config.grid();
    }

    public GridConfig config() { return config; }

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
                for (int c = 0; c < gs; c++) q[base + c] = QuantGrid.quantize(w[base + c], scales[r], zeros[r], grid.maxq());
            }
        }
        return q;
    }
}
