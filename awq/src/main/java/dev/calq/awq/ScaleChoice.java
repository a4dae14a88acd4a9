package dev.calq.awq;

/**
 * The outcome of the scale search for one scaling group of one layer.
 *
 * @param sourceScales   one scale per output channel of the source (norm gain or source projection rows): divides it
 * @param inputScales    one scale per input channel of the scaled projections: multiplies their columns. Equal to
 *                       sourceScales except for v_proj -> o_proj under grouped-query attention, where each kv
 *                       channel's scale repeats for every query head that reads that kv head
 * @param ratio          the chosen exponent, or NaN when no scaling (all ones) won
 * @param error          mean squared output error of the inspected module with the chosen scales, quantized
 * @param identityError  the same error without scaling (plain quantization)
 * @param gridErrors     the error for each grid ratio i / grid
 */
public record ScaleChoice(ScalingGroup group, float[] sourceScales, float[] inputScales, double ratio, double error,
                          double identityError, double[] gridErrors) {
    public boolean identity() { return Double.isNaN(ratio); }
}
