package dev.calq.formats.gguf.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.MixContext;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.mix.TypeChooser;

class GgufConverterTest {
    @TempDir Path dir;

    static float[] tensor(GgufFile g, String name) {
        GgufTensorInfo t = g.tensor(name);
        if (t.type() == GgmlType.F32) return g.floats(name);
        return Quantizers.dequantize(t.type(), g.data(t), 0, (int) (t.elementCount() / t.ne(0)), (int) t.ne(0));
    }

    private static TypeChooser chooser(String arch, QuantMix mix, Path hf) {
        return GgufConverter.mixChooser(hf, mix, List.of(), false);
    }

    @Test
    void llamaF32ConversionPermutesQAndKAndKeepsEverythingElseExact() throws Exception {
        Path hf = dir.resolve("tiny-llama");
        TinyHfModel m = TinyHfModel.write(hf, "LlamaForCausalLM", false);
        Path out = dir.resolve("tiny.gguf");
        GgufConverter.Result res = GgufConverter.convert(hf, out, chooser("llama", QuantMix.F32, hf), null, false);
        assertEquals(2 + 2 * 9 + 1, res.tensors().size());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("llama", g.get("general.architecture").asString());
            assertEquals(2, g.get("llama.block_count").asLong());
            assertEquals(64, g.get("llama.embedding_length").asLong());
            assertEquals(96, g.get("llama.feed_forward_length").asLong());
            assertEquals(4, g.get("llama.attention.head_count").asLong());
            assertEquals(2, g.get("llama.attention.head_count_kv").asLong());
            assertEquals(16, g.get("llama.rope.dimension_count").asLong());
            assertEquals(500000f, (Float) g.get("llama.rope.freq_base").value());
            assertEquals(1e-6f, (Float) g.get("llama.attention.layer_norm_rms_epsilon").value());
            assertEquals(0, g.get("general.file_type").asLong());
            assertEquals("gpt2", g.get("tokenizer.ggml.model").asString());
            assertEquals("qwen2", g.get("tokenizer.ggml.pre").asString());
            List<String> tokens = g.get("tokenizer.ggml.tokens").asArray().strings();
            assertEquals(TinyHfModel.VOCAB, tokens.size());
            assertEquals("<|begin|>", tokens.get(1));
            assertEquals("Ġa", tokens.get(TinyHfModel.VOCAB - 1));
            assertEquals(List.of("t 3", "Ġ a"), g.get("tokenizer.ggml.merges").asArray().strings());
            assertEquals(GgufTokenizerMetadata.CONTROL, g.get("tokenizer.ggml.token_type").asArray().items().get(1));
            assertEquals(1L, g.get("tokenizer.ggml.bos_token_id").asLong());
            assertEquals(2L, g.get("tokenizer.ggml.eos_token_id").asLong());
            assertEquals(true, g.get("tokenizer.ggml.add_bos_token").value());
            assertEquals(false, g.get("tokenizer.ggml.add_eos_token").value());
            // llama.cpp's spellings: unknown_token_id and padding_token_id (unk_/pad_token_id were ignored by it).
            assertEquals(0L, g.get("tokenizer.ggml.unknown_token_id").asLong());
            assertEquals(0L, g.get("tokenizer.ggml.padding_token_id").asLong());
            assertEquals(null, g.get("tokenizer.ggml.unk_token_id"));
            assertEquals(null, g.get("tokenizer.ggml.pad_token_id"));

            assertEquals("token_embd.weight", g.tensors().getFirst().name());
            assertEquals("blk.0.attn_norm.weight", g.tensors().get(1).name());
            assertEquals("output.weight", g.tensors().getLast().name());
            assertArrayEquals(new long[] {64, 32}, g.tensor("blk.1.attn_k.weight").ne());
            assertEquals(GgmlType.F32, g.tensor("blk.1.ffn_down.weight").type());
            assertArrayEquals(m.tensors.get("model.layers.1.mlp.down_proj.weight"), g.floats("blk.1.ffn_down.weight"));
            assertArrayEquals(m.tensors.get("model.layers.0.self_attn.v_proj.weight"), g.floats("blk.0.attn_v.weight"));
            assertArrayEquals(m.tensors.get("lm_head.weight"), g.floats("output.weight"));
            checkPermuted(m.tensors.get("model.layers.0.self_attn.q_proj.weight"), g.floats("blk.0.attn_q.weight"), TinyHfModel.HEADS);
            checkPermuted(m.tensors.get("model.layers.1.self_attn.k_proj.weight"), g.floats("blk.1.attn_k.weight"), TinyHfModel.KV_HEADS);
        }
    }

    /** Tensors handed over already encoded (in Hugging Face row order) land exactly where the converter's own would. */
    @Test
    void encodedTensorsTakeTheRopePermutationAndReplaceTheConvertersOwn() throws Exception {
        Path hf = dir.resolve("tiny-llama");
        TinyHfModel m = TinyHfModel.write(hf, "LlamaForCausalLM", false);
        Path plain = dir.resolve("plain.gguf");
        Path given = dir.resolve("given.gguf");
        GgufConverter.convert(hf, plain, chooser("llama", QuantMix.Q8_0, hf), null, false);
        java.util.Map<String, GgmlType> types = GgufConverter.plannedTypes(hf, chooser("llama", QuantMix.Q8_0, hf));
        assertEquals(GgmlType.Q8_0, types.get("blk.0.attn_q.weight"));
        java.util.Map<String, GgufConverter.Encoded> encoded = new java.util.HashMap<>();
        for (String n : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight", "model.layers.0.mlp.up_proj.weight")) {
            float[] w = m.tensors.get(n);
            encoded.put(LlamaTensorNames.toGguf(n), new GgufConverter.Encoded(GgmlType.Q8_0, Quantizers.quantize(GgmlType.Q8_0, w, w.length / 64, 64, null)));
        }
        GgufConverter.convert(hf, given, chooser("llama", QuantMix.Q8_0, hf), null, false, encoded);
        assertArrayEquals(java.nio.file.Files.readAllBytes(plain), java.nio.file.Files.readAllBytes(given));
        encoded.put("blk.0.attn_v.weight", new GgufConverter.Encoded(GgmlType.Q4_0, new byte[18]));
        assertThrows(IllegalArgumentException.class,
                () -> GgufConverter.convert(hf, dir.resolve("bad.gguf"), chooser("llama", QuantMix.Q8_0, hf), null, false, encoded));
    }

    /** GGUF row (head h, pair j, part i) must be HF row (head h, part i, pair j). */
    private static void checkPermuted(float[] hf, float[] gguf, int heads) {
        int cols = TinyHfModel.HIDDEN, hd = TinyHfModel.HEAD_DIM, half = hd / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < half; j++)
                    for (int c = 0; c < cols; c++)
                        assertEquals(hf[(h * hd + i * half + j) * cols + c], gguf[(h * hd + 2 * j + i) * cols + c]);
    }

    @Test
    void qwen3KeepsNeoxLayoutAndMapsQkNorms() throws Exception {
        Path hf = dir.resolve("tiny-qwen3");
        TinyHfModel m = TinyHfModel.write(hf, "Qwen3ForCausalLM", true);
        Path out = dir.resolve("q3.gguf");
        GgufConverter.convert(hf, out, chooser("qwen3", QuantMix.F16, hf), null, false);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("qwen3", g.get("general.architecture").asString());
            assertEquals(16, g.get("qwen3.attention.key_length").asLong());
            assertFalse(g.hasTensor("output.weight"), "tied embeddings: no output tensor");
            assertEquals(GgmlType.F32, g.tensor("blk.0.attn_q_norm.weight").type());
            assertEquals(GgmlType.F16, g.tensor("blk.0.attn_q.weight").type());
            float[] q = tensor(g, "blk.0.attn_q.weight");
            float[] ref = m.tensors.get("model.layers.0.self_attn.q_proj.weight");
            for (int i = 0; i < ref.length; i++) assertEquals(Float.floatToFloat16(ref[i]), Float.floatToFloat16(q[i]), "not permuted, just F16");
            assertEquals(1, g.get("general.file_type").asLong());
        }
    }

    @Test
    void qwen2BiasesAreWrittenAsF32() throws Exception {
        Path hf = dir.resolve("tiny-qwen2");
        TinyHfModel m = TinyHfModel.write(hf, "Qwen2ForCausalLM", false);
        Path out = dir.resolve("q2.gguf");
        GgufConverter.convert(hf, out, chooser("qwen2", QuantMix.Q8_0, hf), null, false);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("qwen2", g.get("general.architecture").asString());
            assertArrayEquals(m.tensors.get("model.layers.1.self_attn.q_proj.bias"), g.floats("blk.1.attn_q.bias"));
            assertEquals(GgmlType.Q8_0, g.tensor("blk.1.attn_q.weight").type());
            float[] q = tensor(g, "blk.1.ffn_up.weight");
            float[] ref = m.tensors.get("model.layers.1.mlp.up_proj.weight");
            double err = 0, norm = 0;
            for (int i = 0; i < ref.length; i++) {
                err += (q[i] - ref[i]) * (q[i] - ref[i]);
                norm += ref[i] * ref[i];
            }
            assertTrue(err / norm < 1e-4, "Q8_0 relative error " + err / norm);
        }
    }

    @Test
    void refusesToOverwriteAndToWriteOverItsInput() throws Exception {
        Path hf = dir.resolve("m");
        TinyHfModel.write(hf, "LlamaForCausalLM", false);
        Path out = dir.resolve("o.gguf");
        GgufConverter.convert(hf, out, chooser("llama", QuantMix.F32, hf), null, false);
        assertThrows(CalqException.class, () -> GgufConverter.convert(hf, out, chooser("llama", QuantMix.F32, hf), null, false));
        assertThrows(CalqException.class, () -> GgufConverter.convert(hf, hf, chooser("llama", QuantMix.F32, hf), null, true));
        GgufConverter.convert(hf, out, chooser("llama", QuantMix.F16, hf), null, true);
    }

    @Test
    void unknownTensorsFailClearlyAndLeaveNoOutput() throws Exception {
        Path hf = dir.resolve("odd");
        TinyHfModel.write(hf, "LlamaForCausalLM", false);
        // a config with more layers than the weights: the layout check names the missing tensor
        String cfg = java.nio.file.Files.readString(hf.resolve("config.json")).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
        java.nio.file.Files.writeString(hf.resolve("config.json"), cfg);
        Path out = dir.resolve("odd.gguf");
        CalqException e = assertThrows(CalqException.class, () -> GgufConverter.convert(hf, out, new MixChooser(QuantMix.F32,
                new MixContext(3, 2, false, 3, false), List.of()), null, false));
        assertTrue(e.getMessage().contains("model.layers.2."), e.getMessage());
        assertFalse(java.nio.file.Files.exists(out));
    }

    @Test
    void llama3RopeFactorsFollowTheConverterFormula() throws Exception {
        dev.calq.formats.model.ModelConfig cfg = dev.calq.formats.model.ModelConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 2,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 100, "rope_theta": 500000.0,
                 "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                 "original_max_position_embeddings": 8192}}"""), dir.resolve("config.json"));
        float[] f = GgufConverter.llama3RopeFactors(cfg);
        assertEquals(64, f.length);
        for (int i = 0; i < 64; i++) {
            double freq = (float) (1.0 / Math.pow(500000.0, 2.0 * i / 128));
            double wavelen = 2 * Math.PI / freq;
            double expected = wavelen < 2048 ? 1 : wavelen > 8192 ? 8
                    : 1 / ((1 - (8192 / wavelen - 1) / 3) / 8 + (8192 / wavelen - 1) / 3);
            assertEquals(expected, f[i], 1e-5 * expected, "factor " + i);
        }
        assertEquals(1f, f[0]);
        assertEquals(8f, f[63]);
        // the smoothed band bit for bit as convert_hf_to_gguf.py (llama.cpp 3f545becc, torch 2.13) writes it
        float[] band = {0x1.351daap+0f, 0x1.8dac94p+0f, 0x1.035e3ap+1f, 0x1.58e65cp+1f, 0x1.d7959cp+1f, 0x1.50780cp+2f};
        for (int i = 0; i < band.length; i++) assertEquals(band[i], f[29 + i], "factor " + (29 + i));
        assertEquals(1f, f[28]);
        assertEquals(8f, f[35]);
    }
}
