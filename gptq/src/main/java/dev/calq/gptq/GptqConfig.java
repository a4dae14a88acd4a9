package dev.calq.gptq;

import dev.calq.calibration.quant.GridConfig;
import dev.calq.formats.CalqException;
import dev.calq.formats.gptq.GptqQuantizationConfig;

/**
 * GPTQ's options on top of the grid it quantizes to.
 *
 * @param grid           bits, group size, symmetry, clip search of the integer grid
 * @param actOrder       quantize columns in order of decreasing Hessian diagonal (g_idx records the groups)
 * @param staticGroups   compute every group's scale from the unmodified weight before the error propagation
 * @param damp           fraction of the mean Hessian diagonal added to the diagonal
 * @param blockSize      columns per lazy batch update
 * @param trueSequential observe each input site after the earlier sites of the layer are quantized (gptq.py's default)
 */
public record GptqConfig(GridConfig grid, boolean actOrder, boolean staticGroups, double damp, int blockSize,
                         boolean trueSequential) {

    public GptqConfig {
        if (!(damp >= 0) || !Double.isFinite(damp))
            throw new CalqException("--damp " + damp + " must be a finite fraction >= 0 (default 0.01; 0.1 for --format gguf)");
        if (blockSize <= 0) throw new CalqException("--block-size " + blockSize + " must be positive (default 128)");
    }

    /** The usual INT4 setting: the default grid, no act-order, damp 0.01, blocks of 128, true-sequential. */
    public static GptqConfig defaults() { return new GptqConfig(GridConfig.defaults(), false, false, 0.01, 128, true); }

    public GptqConfig withGrid(GridConfig g) { return new GptqConfig(g, actOrder, staticGroups, damp, blockSize, trueSequential); }

    public GptqConfig withBits(int b) { return withGrid(grid.withBits(b)); }

    public GptqConfig withGroupSize(int g) { return withGrid(grid.withGroupSize(g)); }

    public GptqConfig withSym(boolean s) { return withGrid(grid.withSym(s)); }

    public GptqConfig withMseClip(boolean m) { return withGrid(grid.withMseClip(m)); }

    public GptqConfig withActOrder(boolean a) { return new GptqConfig(grid, a, staticGroups, damp, blockSize, trueSequential); }

    public GptqConfig withStaticGroups(boolean s) { return new GptqConfig(grid, actOrder, s, damp, blockSize, trueSequential); }

    public GptqConfig withDamp(double d) { return new GptqConfig(grid, actOrder, staticGroups, d, blockSize, trueSequential); }

    public GptqConfig withBlockSize(int b) { return new GptqConfig(grid, actOrder, staticGroups, damp, b, trueSequential); }

    public GptqConfig withTrueSequential(boolean t) { return new GptqConfig(grid, actOrder, staticGroups, damp, blockSize, t); }

    public int bits() { return grid.bits(); }

    public int groupSize() { return grid.groupSize(); }

    public boolean sym() { return grid.sym(); }

    /** The quantization_config a GPTQ checkpoint of this run records (checkpoint_format gptq, v1). */
    public GptqQuantizationConfig checkpointConfig() {
        return new GptqQuantizationConfig(grid.bits(), grid.groupSize(), actOrder, grid.sym(), damp, staticGroups, trueSequential,
                GptqQuantizationConfig.V1);
    }
}
