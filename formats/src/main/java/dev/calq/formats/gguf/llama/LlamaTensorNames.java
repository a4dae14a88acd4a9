package dev.calq.formats.gguf.llama;

import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelLayout;
import dev.calq.formats.model.WeightRole;

/** Hugging Face Llama/Mistral/Qwen2/Qwen3 weight names (via {@link ModelLayout}) to llama.cpp's GGUF names. */
public final class LlamaTensorNames {
    private LlamaTensorNames() {}

    /** llama.cpp's name for a role in a layer ({@code layer} ignored for global roles). */
    public static String toGguf(WeightRole role, int layer) {
        String base = switch (role) {
            case EMBEDDING -> "token_embd.weight";
            case FINAL_NORM -> "output_norm.weight";
            case LM_HEAD -> "output.weight";
            case ATTN_NORM -> "attn_norm.weight";
            case Q -> "attn_q.weight";
            case K -> "attn_k.weight";
            case V -> "attn_v.weight";
            case O -> "attn_output.weight";
            case Q_BIAS -> "attn_q.bias";
            case K_BIAS -> "attn_k.bias";
            case V_BIAS -> "attn_v.bias";
            case O_BIAS -> "attn_output.bias";
            case Q_NORM -> "attn_q_norm.weight";
            case K_NORM -> "attn_k_norm.weight";
            case MLP_NORM -> "ffn_norm.weight";
            case GATE -> "ffn_gate.weight";
            case UP -> "ffn_up.weight";
            case DOWN -> "ffn_down.weight";
        };
        return role.perLayer() ? "blk." + layer + "." + base : base;
    }

    /** The same entries keyed by GGUF names instead of Hugging Face ones, in the same order. */
    public static <V> java.util.Map<String, V> toGgufKeys(java.util.Map<String, V> byHfName) {
        java.util.Map<String, V> out = new java.util.LinkedHashMap<>();
        for (var e : byHfName.entrySet()) out.put(toGguf(e.getKey()), e.getValue());
        return out;
    }

    /** The GGUF name of a Hugging Face tensor name. */
    public static String toGguf(String hf) {
        ModelLayout.WeightRef ref = ModelLayout.parse(hf)
                .orElseThrow(() -> new CalqException("tensor " + hf + " has no llama.cpp name (unsupported layer kind)"));
        return toGguf(ref.role(), ref.layer());
    }

    /**
     * The Hugging Face name of a llama.cpp name (the inverse of {@link #toGguf}), or null for tensors that have
     * none (rope_freqs.weight, or kinds calq does not run).
     */
    public static String toHf(String gguf) {
        int layer = -1;
        if (gguf.startsWith("blk.")) {
            int dot = gguf.indexOf('.', 4);
            if (dot < 0) return null;
            try {
                layer = Integer.parseInt(gguf.substring(4, dot));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        for (WeightRole role : WeightRole.values()) {
            if (role.perLayer() != (layer >= 0)) continue;
            if (toGguf(role, layer).equals(gguf)) return role.tensorName(layer);
        }
        return null;
    }
}
