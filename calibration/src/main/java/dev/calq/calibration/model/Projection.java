package dev.calq.calibration.model;

/** The seven linear projections of a Llama-family decoder layer, with the input site each one reads. */
public enum Projection {
    Q("self_attn.q_proj"), K("self_attn.k_proj"), V("self_attn.v_proj"), O("self_attn.o_proj"),
    GATE("mlp.gate_proj"), UP("mlp.up_proj"), DOWN("mlp.down_proj");

    private final String hfSuffix;

    Projection(String hfSuffix) { this.hfSuffix = hfSuffix; }

    /** e.g. "model.layers.3.self_attn.q_proj.weight". */
    public String weightName(int layer) { return "model.layers." + layer + "." + hfSuffix + ".weight"; }

    public String biasName(int layer) { return "model.layers." + layer + "." + hfSuffix + ".bias"; }

    public InputSite site() {
        return switch (this) {
            case Q, K, V -> InputSite.ATTN_IN;
            case O -> InputSite.ATTN_OUT;
            case GATE, UP -> InputSite.MLP_IN;
            case DOWN -> InputSite.MLP_OUT;
        };
    }
}
