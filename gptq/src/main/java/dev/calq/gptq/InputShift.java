package dev.calq.gptq;

import dev.calq.calibration.kernels.MatMul;

/**
 * GPTQ against the full-precision model (asymmetric calibration, as GPTAQ and Qronos): per output row w, minimise
 * ||w X - q X~||^2 over the codes q, X the full-precision model's input at the site and X~ the quantized model's.
 * With H = X~^T X~ and Delta = X~^T (X - X~) the objective is (q - w*) H (q - w*)^T + const for
 * w* = w + w Delta^T H^-1, so GPTQ on the shifted weight W* = W + W Delta^T H^-1 with the usual H minimises it.
 * H^-1 is (H + damp I)^-1 = U^T U from {@link InverseHessian} (the factor GPTQ uses anyway), so the shift is two
 * triangular products, C U^T U with C = W Delta^T, all on calq's float32 matrix kernel. {@code shrink} scales the
 * shift (1 = the exact minimiser; less trusts the calibration inputs less).
 */
public final class InputShift {
    private InputShift() {}

    /**
     * W* = W + shrink * W Delta^T (H + damp I)^-1 for {@code weight} [out x in], {@code delta} [in x in] from
     * {@link InputShiftAccumulator#delta()}. A weight whose shift is exactly zero (Delta = 0: both models' inputs
     * equal) is returned bit for bit, so that run is plain GPTQ.
     */
    public static float[] shifted(float[] weight, int out, int in, double[] delta, InverseHessian inv, double shrink) {
        if (delta.length != (long) in * in || inv.n() != in) throw new IllegalArgumentException("delta/Hessian of " + inv.n() + " for " + in + " columns");
        int[] perm = inv.perm();
        // Delta^T in the factor's (permuted) order on both sides: dt[a][b] = Delta[perm[b]][perm[a]].
        float[] dt = new float[in * in];
        boolean any = false;
        for (int a = 0; a < in; a++)
            for (int b = 0; b < in; b++) {
                float v = (float) delta[perm[b] * in + perm[a]];
                dt[a * in + b] = v;
                any |= v != 0;
            }
        float[] result = weight.clone();
        if (!any || shrink == 0) return result;
        float[] wp = BlockOrder.permuteColumns(weight, out, in, perm);
        float[] c = new float[out * in], cu = new float[out * in];
        MatMul.mul(wp, 0, in, dt, 0, in, c, 0, in, out, in, in, false);           // C = W Delta^T
        MatMul.mulTransposed(c, 0, in, inv.upper(), 0, in, cu, 0, in, out, in, in); // C U^T
        MatMul.mul(cu, 0, in, inv.upper(), 0, in, c, 0, in, out, in, in, false);  // (C U^T) U = C H^-1
        boolean[] dead = inv.dead();
        for (int r = 0; r < out; r++)
            for (int a = 0; a < in; a++) {
                float s = c[r * in + a];
                int col = perm[a];
                if (s != 0 && !dead[col]) result[r * in + col] = (float) (weight[r * in + col] + shrink * s);
            }
        return result;
    }
}
