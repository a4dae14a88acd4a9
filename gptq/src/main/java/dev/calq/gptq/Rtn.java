package dev.calq.gptq;

import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.quant.QuantConfig;
import dev.calq.calibration.quant.QuantGrid;
import dev.calq.calibration.quant.QuantizedLinear;

/**
 * Round-to-nearest: each group's scale/zero from its own min/max (or the clip search), every weight rounded to the
 * nearest grid point, no error propagation. The baseline every GPTQ result is compared with; same grid and options
 * (act-order and damping have no meaning without a Hessian and are ignored).
 */
public final class Rtn {
    private Rtn() {}

    public static QuantizedLinear quantize(float[] weight, int out, int in, QuantConfig cfg) {
        return quantize("weight", weight, out, in, cfg);
    }

    public static QuantizedLinear quantize(String name, float[] weight, int out, int in, QuantConfig cfg) {
        return quantize(name, weight, out, in, cfg, cfg.grid());
    }

    /** As above on {@code grid} (e.g. a {@link CodebookGrid} for NF4) instead of the config's integer grid. */
    public static QuantizedLinear quantize(String name, float[] weight, int out, int in, QuantConfig cfg, QuantGrid grid) {
        if (weight.length != (long) out * in) throw new IllegalArgumentException(name + ": " + weight.length + " values for " + out + "x" + in);
        cfg.checkShape(name, in);
        GptqQuantizer.checkFinite(name, weight, in);
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
}
