package dev.calq.awq;

import dev.calq.calibration.model.Projection;

/**
 * Folds chosen scales into the layer so that the unquantized layer computes the same function: the source (norm gain,
 * or the output rows and bias of v_proj / up_proj) is divided by s, the input columns of the scaled projections are
 * multiplied by s, and the cached inputs of those projections are divided by s so that later steps (clipping) see
 * what the scaled layer will read. Exact up to float rounding because RMSNorm's gain, and the rows of a projection
 * feeding a linear map (attention's value path, SwiGLU's up branch), act channel by channel.
 */
public final class ScaleFolding {
    private ScaleFolding() {}

    public static void apply(AwqBlock block, LayerInputs inputs, ScaleChoice choice) {
        ScalingGroup group = choice.group();
        float[] src = choice.sourceScales();
        float[] in = choice.inputScales();
        if (group.sourceNorm() != null) {
            float[] gain = block.norm(group.sourceNorm()).clone();
            if (gain.length != src.length) throw new IllegalArgumentException(group + ": " + src.length + " scales for a norm of " + gain.length);
            for (int c = 0; c < gain.length; c++) gain[c] /= src[c];
            block.setNorm(group.sourceNorm(), gain);
        } else {
            Projection p = group.sourceProjection();
            float[] w = block.weight(p).clone();
            int cols = block.inFeatures(p);
            if (w.length != src.length * cols) throw new IllegalArgumentException(group + ": " + src.length + " scales for " + p + " with " + (w.length / cols) + " rows");
            for (int r = 0; r < src.length; r++)
                for (int c = 0; c < cols; c++) w[r * cols + c] /= src[r];
            block.setWeight(p, w);
            float[] bias = block.bias(p);
            if (bias != null) {
                bias = bias.clone();
                for (int r = 0; r < bias.length; r++) bias[r] /= src[r];
                block.setBias(p, bias);
            }
        }
        for (Projection p : group.scaled()) {
            float[] w = block.weight(p).clone();
            if (w.length % in.length != 0) throw new IllegalArgumentException(group + ": " + in.length + " scales for " + p + " input");
            ScaleSearch.scaleColumns(w, in);
            block.setWeight(p, w);
        }
        if (inputs != null && inputs.has(group.site())) inputs.divideChannels(group.site(), in);
    }
}
