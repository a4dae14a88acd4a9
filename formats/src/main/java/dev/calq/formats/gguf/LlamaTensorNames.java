package dev.calq.formats.gguf;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Hugging Face Llama/Mistral/Qwen2/Qwen3 weight names to llama.cpp's GGUF names. */
public final class LlamaTensorNames {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Map<String, String> IN_LAYER = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"),
            Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("self_attn.q_norm", "attn_q_norm"),
            Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("post_attention_layernorm", "ffn_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"),
            Map.entry("mlp.up_proj", "ffn_up"),
            Map.entry("mlp.down_proj", "ffn_down"));

    private static final Pattern GGUF_LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Map<String, String> BY_GGUF_ROLE = inverse(IN_LAYER);

    private LlamaTensorNames() {}

    private static Map<String, String> inverse(Map<String, String> m) {
        Map<String, String> inv = new java.util.HashMap<>();
        m.forEach((hf, gguf) -> inv.put(gguf, hf));
        return Map.copyOf(inv);
    }

    /** The GGUF name, or null for tensors llama.cpp does not use (rotary inv_freq buffers). */
    public static String toGguf(String hf) {
        switch (hf) {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
            default: break;
        }
        if (hf.endsWith("rotary_emb.inv_freq")) return null;
        Matcher m = LAYER.matcher(hf);
        if (m.matches()) {
            String role = IN_LAYER.get(m.group(2));
            if (role != null) return "blk." + m.group(1) + "." + role + "." + m.group(3);
        }
        throw new dev.calq.formats.CalqException("tensor " + hf + " has no llama.cpp name (unsupported layer kind)");
    }

    /**
     * The Hugging Face name of a llama.cpp name (the inverse of {@link #toGguf}), or null for tensors that have
     * none (rope_freqs.weight, or kinds calq does not run).
     */
    public static String toHf(String gguf) {
        switch (gguf) {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
            default: break;
        }
        Matcher m = GGUF_LAYER.matcher(gguf);
        if (!m.matches()) return null;
        String role = BY_GGUF_ROLE.get(m.group(2));
        return role == null ? null : "model.layers." + m.group(1) + "." + role + "." + m.group(3);
    }

    /** Layer index of a GGUF name ("blk.N."), or -1. */
    static int layerOf(String gguf) {
        if (!gguf.startsWith("blk.")) return -1;
        int dot = gguf.indexOf('.', 4);
        return Integer.parseInt(gguf.substring(4, dot));
    }
}
