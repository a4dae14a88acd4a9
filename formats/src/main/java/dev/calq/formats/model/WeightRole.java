package dev.calq.formats.model;

/**
 * What a tensor of a Llama-family checkpoint is, independent of its layer. Each role knows its Hugging Face name:
 * global roles have a full name, layer roles a suffix after {@code model.layers.N.}.
 */
public enum WeightRole {
    EMBEDDING("model.embed_tokens.weight", false),
    ATTN_NORM("input_layernorm.weight", true),
    Q("self_attn.q_proj.weight", true),
    K("self_attn.k_proj.weight", true),
    V("self_attn.v_proj.weight", true),
    O("self_attn.o_proj.weight", true),
    Q_BIAS("self_attn.q_proj.bias", true),
    K_BIAS("self_attn.k_proj.bias", true),
    V_BIAS("self_attn.v_proj.bias", true),
    /** Only Llama/Qwen3 with attention_bias=true. */
    O_BIAS("self_attn.o_proj.bias", true),
    /** Qwen3: per-head RMSNorm of q and k, one weight of head_dim shared by all heads. */
    Q_NORM("self_attn.q_norm.weight", true),
    K_NORM("self_attn.k_norm.weight", true),
    MLP_NORM("post_attention_layernorm.weight", true),
    GATE("mlp.gate_proj.weight", true),
    UP("mlp.up_proj.weight", true),
    DOWN("mlp.down_proj.weight", true),
    FINAL_NORM("model.norm.weight", false),
    LM_HEAD("lm_head.weight", false);

    /** The prefix of every per-layer tensor name. */
    public static final String LAYER_PREFIX = "model.layers.";

    private final String hfName;
    private final boolean perLayer;

    WeightRole(String hfName, boolean perLayer) {
        this.hfName = hfName;
        this.perLayer = perLayer;
    }

    /** True for roles repeated in every decoder layer. */
    public boolean perLayer() { return perLayer; }

    /** The full name for a global role, the part after "model.layers.N." for a layer role. */
    public String hfSuffix() { return hfName; }

    /** The Hugging Face tensor name; {@code layer} is ignored for global roles. */
    public String tensorName(int layer) {
        return perLayer ? LAYER_PREFIX + layer + "." + hfName : hfName;
    }

    /** The weight matrices of nn.Linear layers (stored [out, in]), the ones quantizers act on. */
    public boolean isLinear() {
        return switch (this) {
            case Q, K, V, O, GATE, UP, DOWN, LM_HEAD -> true;
            default -> false;
        };
    }

    /** The linear projections inside a decoder layer (what GPTQ/AWQ quantize; lm_head and embeddings stay). */
    public boolean isLayerProjection() { return perLayer && isLinear(); }
}
