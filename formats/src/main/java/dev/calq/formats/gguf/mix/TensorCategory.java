package dev.calq.formats.gguf.mix;

/** The broad tensor roles llama-quantize's mix rules distinguish, recognised from llama.cpp tensor names. */
enum TensorCategory {
    OUTPUT, TOKEN_EMBD, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_V, ATTENTION_K, ATTENTION_Q, ATTENTION_OUTPUT,
    FFN_UP, FFN_GATE, FFN_DOWN, OTHER;

    /** Same substring tests, in the same order, as llama-quant.cpp's tensor_get_category. */
    static TensorCategory of(String name) {
        if (name.equals("output.weight")) return OUTPUT;
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) return TOKEN_EMBD;
        if (name.contains("attn_qkv.weight")) return ATTENTION_QKV;
        if (name.contains("attn_kv_b.weight")) return ATTENTION_KV_B;
        if (name.contains("attn_v.weight")) return ATTENTION_V;
        if (name.contains("attn_k.weight")) return ATTENTION_K;
        if (name.contains("attn_q.weight")) return ATTENTION_Q;
        if (name.contains("attn_output.weight")) return ATTENTION_OUTPUT;
        if (name.contains("ffn_up")) return FFN_UP;
        if (name.contains("ffn_gate")) return FFN_GATE;
        if (name.contains("ffn_down")) return FFN_DOWN;
        return OTHER;
    }

    /** attn_v-like tensors share one counter (n_attention_wv). */
    boolean isAttentionV() { return this == ATTENTION_V || this == ATTENTION_QKV || this == ATTENTION_KV_B; }
}
