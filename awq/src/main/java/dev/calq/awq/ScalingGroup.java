package dev.calq.awq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.Projection;
import java.util.List;

/**
 * The four places in a Llama-family decoder layer where a per-channel scale can move between an operation and the
 * projections that read its output without changing the layer's function: the scale divides the source (a norm gain
 * or the rows of a projection) and multiplies the input columns of the projections that follow.
 */
public enum ScalingGroup {
    /** input_layernorm -> q/k/v; the error is measured on the whole self-attention. */
    ATTN_IN(AwqBlock.Norm.INPUT, null, List.of(Projection.Q, Projection.K, Projection.V), InputSite.ATTN_IN),
    /** v_proj -> o_proj; the error is measured on o_proj. */
    ATTN_OUT(null, Projection.V, List.of(Projection.O), InputSite.ATTN_OUT),
    /** post_attention_layernorm -> gate/up; the error is measured on the whole MLP. */
    MLP_IN(AwqBlock.Norm.POST_ATTENTION, null, List.of(Projection.GATE, Projection.UP), InputSite.MLP_IN),
    /** up_proj -> down_proj; the error is measured on down_proj. */
    MLP_OUT(null, Projection.UP, List.of(Projection.DOWN), InputSite.MLP_OUT);

    private final AwqBlock.Norm sourceNorm;
    private final Projection sourceProjection;
    private final List<Projection> scaled;
    private final InputSite site;

    ScalingGroup(AwqBlock.Norm sourceNorm, Projection sourceProjection, List<Projection> scaled, InputSite site) {
        this.sourceNorm = sourceNorm;
        this.sourceProjection = sourceProjection;
        this.scaled = scaled;
        this.site = site;
    }

    /** The norm whose gain absorbs 1/s, or null when the source is a projection. */
    public AwqBlock.Norm sourceNorm() { return sourceNorm; }

    /** The projection whose output rows absorb 1/s, or null when the source is a norm. */
    public Projection sourceProjection() { return sourceProjection; }

    /** The projections whose input columns absorb s (and get quantized). */
    public List<Projection> scaled() { return scaled; }

    /** The input site the scaled projections read. */
    public InputSite site() { return site; }
}
