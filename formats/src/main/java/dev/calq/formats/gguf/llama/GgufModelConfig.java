package dev.calq.formats.gguf.llama;

import dev.calq.formats.CalqException;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.gguf.GgufArray;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufValue;

/**
 * A {@link ModelConfig} rebuilt from a GGUF file's metadata (the inverse of what {@link GgufConverter} writes and
 * what llama.cpp's converter writes): the {@code ARCH.*} hyperparameters, special token ids from
 * {@code tokenizer.ggml.*}, and from the tensor list whether lm_head is tied (no {@code output.weight}) and whether
 * q/k/v have biases. GGUF's "llama" covers Llama and Mistral, which run the same way.
 */
public final class GgufModelConfig {
    private GgufModelConfig() {}

    public static ModelConfig of(GgufFile f) {
        String archName = string(f, "general.architecture");
        Architecture arch = switch (archName) {
            case "llama" -> Architecture.LLAMA;
            case "qwen2" -> Architecture.QWEN2;
            case "qwen3" -> Architecture.QWEN3;
            default -> throw fail(f, "general.architecture \"" + archName + "\" is not supported (llama, qwen2, qwen3)");
        };
        String a = archName + ".";
        int hidden = requiredInt(f, a + "embedding_length");
        int heads = requiredInt(f, a + "attention.head_count");
        int kvHeads = f.get(a + "attention.head_count_kv") != null ? requiredInt(f, a + "attention.head_count_kv") : heads;
        int headDim = f.get(a + "attention.key_length") != null ? requiredInt(f, a + "attention.key_length")
                : ModelConfig.derivedHeadDim(hidden, heads, f.path(), a + "embedding_length", a + "attention.head_count");
        int vocab = vocabSize(f, a);
        ModelConfig c = new ModelConfig(arch, hidden,
                requiredInt(f, a + "feed_forward_length"),
                requiredInt(f, a + "block_count"),
                heads, kvHeads, headDim,
                number(f, a + "attention.layer_norm_rms_epsilon", 1e-5),
                number(f, a + "rope.freq_base", 10000.0),
                ropeScaling(f, a),
                !f.hasTensor("output.weight"),
                f.hasTensor("blk.0.attn_q.bias"),
                vocab,
                f.get(a + "context_length") != null ? requiredInt(f, a + "context_length") : 4096,
                "float32",
                f.get("tokenizer.ggml.bos_token_id") != null ? requiredInt(f, "tokenizer.ggml.bos_token_id") : 1,
                f.get("tokenizer.ggml.eos_token_id") != null ? requiredInt(f, "tokenizer.ggml.eos_token_id") : 2);
        return c.validated(f.path());
    }

    /** ARCH.vocab_size when written, else the token list's length, else token_embd's row count. */
    private static int vocabSize(GgufFile f, String a) {
        if (f.get(a + "vocab_size") != null) return requiredInt(f, a + "vocab_size");
        GgufValue tokens = f.get("tokenizer.ggml.tokens");
        if (tokens != null && tokens.value() instanceof GgufArray arr) return arr.size();
        if (f.hasTensor("token_embd.weight")) return (int) f.tensor("token_embd.weight").ne(1);
        throw fail(f, "no vocabulary size (" + a + "vocab_size, tokenizer.ggml.tokens or token_embd.weight)");
    }

    private static RopeScaling ropeScaling(GgufFile f, String a) {
        GgufValue type = f.get(a + "rope.scaling.type");
        double factor = number(f, a + "rope.scaling.factor", 0);
        String t = type == null ? (factor > 0 ? "linear" : "none") : type.asString();
        return switch (t) {
            case "none" -> RopeScaling.NONE;
            case "linear" -> factor <= 0 || factor == 1 ? RopeScaling.NONE
                    : new RopeScaling("linear", factor, 1.0, 4.0, RopeScaling.NONE.originalMaxPositionEmbeddings());
            default -> throw fail(f, a + "rope.scaling.type \"" + t + "\" is not supported (none, linear)");
        };
    }

    private static String string(GgufFile f, String key) {
        GgufValue v = f.get(key);
        if (v == null) throw fail(f, "missing metadata " + key);
        if (!(v.value() instanceof String s)) throw fail(f, "metadata " + key + " is " + v.type() + ", expected a string");
        return s;
    }

    private static int requiredInt(GgufFile f, String key) {
        GgufValue v = f.get(key);
        if (v == null) throw fail(f, "missing metadata " + key);
        if (!(v.value() instanceof Integer || v.value() instanceof Long)) throw fail(f, "metadata " + key + " is " + v.type() + ", expected an integer");
        long x = v.asLong();
        if (x < 0 || x > Integer.MAX_VALUE) throw fail(f, "metadata " + key + " = " + x + " is out of range");
        return (int) x;
    }

    private static double number(GgufFile f, String key, double fallback) {
        GgufValue v = f.get(key);
        if (v == null) return fallback;
        // A FLOAT32 goes back to the shortest decimal that rounds to it (1e-5, not 9.99999974e-6), the value the
        // converter started from in nearly every config.json.
        if (v.value() instanceof Float x) return Double.parseDouble(Float.toString(x));
        if (v.value() instanceof Number n) return n.doubleValue();
        throw fail(f, "metadata " + key + " is " + v.type() + ", expected a number");
    }

    private static CalqException fail(GgufFile f, String problem) { return CalqException.file(f.path(), problem); }
}
