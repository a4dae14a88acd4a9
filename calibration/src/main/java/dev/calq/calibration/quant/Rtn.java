package dev.calq.calibration.quant;

import dev.calq.formats.CalqException;
import dev.calq.formats.quantized.QuantizedLinear;

/**
 * Round-to-nearest: each group's scale/zero from its own min/max (or the clip search), every weight rounded to the
 * nearest grid point, no error propagation. The baseline every GPTQ result is compared with, AWQ's final rounding
 * of its scaled weights, and the data-free method.
 */
public final class Rtn {
    private Rtn() {}

    public static QuantizedLinear quantize(float[] weight, int out, int in, GridConfig cfg) {
        return quantize("weight", weight, out, in, cfg);
    }

    public static QuantizedLinear quantize(String name, float[] weight, int out, int in, GridConfig cfg) {
        return quantize(name, weight, out, in, cfg, cfg.grid());
    }

    /** As above on {@code grid} (e.g. a {@link CodebookGrid} for NF4) instead of the config's integer grid. */
    public static QuantizedLinear quantize(String name, float[] weight, int out, int in, GridConfig cfg, QuantGrid grid) {
        if (weight.length != (long) out * in) throw new IllegalArgumentException(name + ": " + weight.length + " values for " + out + "x" + in);
        cfg.checkShape(name, in);
        checkFinite(name, weight, in);
        int gs = cfg.effectiveGroupSize(in);
        int groups = in / gs;
        float[] scales = new float[groups * out];
        int[] zeros = new int[groups * out];
        for (int g = 0; g < groups; g++) grid.findParams(weight, g * gs, in, out, gs, scales, zeros, g * out);
        int[] codes = new int[out * in];
        int[] gIdx = new int[in];
        for (int c = 0; c < in; c++) gIdx[c] = c / gs;
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                int g = gIdx[c] * out + r;
                codes[r * in + c] = grid.codeOf(weight[r * in + c], scales[g], zeros[g]);
            }
        }
        return new QuantizedLinear(out, in, cfg.bits(), cfg.groupSize(), cfg.sym(), codes, scales, zeros, gIdx,
                grid instanceof CodebookGrid cb ? cb.table() : null);
    }

    /** Refuses a weight with NaN or infinite values, naming the tensor and the first bad row/column. */
    public static void checkFinite(String name, float[] weight, int in) {
        for (int i = 0; i < weight.length; i++) {
            if (!Float.isFinite(weight[i]))
                throw new CalqException(name + ": weight is " + weight[i] + " at row " + i / in + ", column " + i % in + "; cannot quantize non-finite weights");
        }
    }
}
