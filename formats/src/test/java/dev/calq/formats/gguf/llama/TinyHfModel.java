package dev.calq.formats.gguf.llama;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Writes a small random Hugging Face Llama/Qwen folder (F32 safetensors, config.json, BPE tokenizer.json). */
final class TinyHfModel {
    static final int HIDDEN = 64, HEADS = 4, KV_HEADS = 2, HEAD_DIM = 16, FFN = 96, LAYERS = 2, VOCAB = 40;

    final Map<String, float[]> tensors = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();

    private void add(Random r, String name, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian() * 0.1f + (name.contains("norm") ? 1f : 0f);
        tensors.put(name, f);
        shapes.put(name, shape);
    }

    static TinyHfModel write(Path dir, String arch, boolean tied) throws IOException {
        TinyHfModel m = new TinyHfModel();
        Random r = new Random(3);
        boolean qwen3 = arch.equals("Qwen3ForCausalLM");
        boolean qwen2 = arch.equals("Qwen2ForCausalLM");
        // HF order: alphabetical-ish as safetensors writes; calq reorders
        m.add(r, "lm_head.weight", VOCAB, HIDDEN);
        for (int l = LAYERS - 1; l >= 0; l--) {
            String p = "model.layers." + l + ".";
            m.add(r, p + "input_layernorm.weight", HIDDEN);
            m.add(r, p + "mlp.down_proj.weight", HIDDEN, FFN);
            m.add(r, p + "mlp.gate_proj.weight", FFN, HIDDEN);
            m.add(r, p + "mlp.up_proj.weight", FFN, HIDDEN);
            m.add(r, p + "post_attention_layernorm.weight", HIDDEN);
            m.add(r, p + "self_attn.k_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN);
            m.add(r, p + "self_attn.o_proj.weight", HIDDEN, HEADS * HEAD_DIM);
            m.add(r, p + "self_attn.q_proj.weight", HEADS * HEAD_DIM, HIDDEN);
            m.add(r, p + "self_attn.v_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN);
            if (qwen2) {
                m.add(r, p + "self_attn.q_proj.bias", HEADS * HEAD_DIM);
                m.add(r, p + "self_attn.k_proj.bias", KV_HEADS * HEAD_DIM);
                m.add(r, p + "self_attn.v_proj.bias", KV_HEADS * HEAD_DIM);
            }
            if (qwen3) {
                m.add(r, p + "self_attn.q_norm.weight", HEAD_DIM);
                m.add(r, p + "self_attn.k_norm.weight", HEAD_DIM);
            }
        }
        m.add(r, "model.embed_tokens.weight", VOCAB, HIDDEN);
        m.add(r, "model.norm.weight", HIDDEN);
        if (tied) {
            m.tensors.remove("lm_head.weight");
            m.shapes.remove("lm_head.weight");
        }
        Files.createDirectories(dir);
        writeSafetensors(dir.resolve("model.safetensors"), m);
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["%s"], "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                 "num_attention_heads": %d, "num_key_value_heads": %d, "head_dim": %d, "rms_norm_eps": 1e-6,
                 "rope_theta": 500000.0, "vocab_size": %d, "max_position_embeddings": 256, "tie_word_embeddings": %s,
                 "bos_token_id": 1, "eos_token_id": 2}
                """.formatted(arch, HIDDEN, FFN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, VOCAB, tied));
        StringBuilder vocab = new StringBuilder();
        for (int i = 3; i < VOCAB - 1; i++) vocab.append(i > 3 ? "," : "").append("\"t").append(i).append("\":").append(i);
        vocab.append(",\"Ġa\":").append(VOCAB - 1);
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "added_tokens": [
                  {"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<|begin|>", "special": true},
                  {"id": 2, "content": "<|end|>", "special": true}],
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                   {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+"}, "behavior": "Isolated"},
                   {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
                 "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin|>"}}, {"Sequence": {"id": "A"}}]},
                 "model": {"type": "BPE", "vocab": {%s}, "merges": [["t", "3"], ["Ġ", "a"]]}}
                """.formatted(vocab));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": "<|begin|>", "eos_token": "<|end|>", "unk_token": "<unk>", "pad_token": "<unk>", "add_eos_token": false}
                """);
        return m;
    }

    private static void writeSafetensors(Path file, TinyHfModel m) throws IOException {
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (String n : m.tensors.keySet()) {
            long bytes = 4L * m.tensors.get(n).length;
            long[] s = m.shapes.get(n);
            StringBuilder shape = new StringBuilder();
            for (int i = 0; i < s.length; i++) shape.append(i > 0 ? "," : "").append(s[i]);
            if (h.length() > 1) h.append(',');
            h.append("\"").append(n).append("\":{\"dtype\":\"F32\",\"shape\":[").append(shape)
                    .append("],\"data_offsets\":[").append(off).append(",").append(off + bytes).append("]}");
            off += bytes;
        }
        h.append("}");
        byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate((int) (8 + hb.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(hb.length).put(hb);
        for (float[] f : m.tensors.values()) for (float v : f) b.putFloat(v);
        Files.write(file, b.array());
    }
}
