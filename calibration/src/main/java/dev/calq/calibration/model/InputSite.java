package dev.calq.calibration.model;

import java.util.List;

/**
 * The four distinct inputs of a decoder layer's projections: q/k/v share the normed hidden state, o_proj reads the
 * attention output, gate/up share the normed residual, down_proj reads the SwiGLU product. Observers are keyed by
 * site so that statistics of a shared input are gathered once.
 */
public enum InputSite {
    ATTN_IN, ATTN_OUT, MLP_IN, MLP_OUT;

    public List<Projection> projections() {
        return switch (this) {
            case ATTN_IN -> List.of(Projection.Q, Projection.K, Projection.V);
            case ATTN_OUT -> List.of(Projection.O);
            case MLP_IN -> List.of(Projection.GATE, Projection.UP);
            case MLP_OUT -> List.of(Projection.DOWN);
        };
    }
}
