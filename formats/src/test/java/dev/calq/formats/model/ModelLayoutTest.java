package dev.calq.formats.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.SharedData;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLayoutTest {
    @TempDir Path dir;

    private static List<String> layer0Suffixes(ModelLayout l) {
        return l.expected().stream().filter(t -> t.layer() == 0).map(t -> t.role().hfSuffix()).toList();
    }

    @Test
    void llamaFolderOpensWithShapesAndFiles() throws IOException {
        Path d = SyntheticFolders.write(dir.resolve("llama"), SyntheticFolders.config("LlamaForCausalLM", ""), Set.of());
        Files.writeString(d.resolve("tokenizer.json"), "{}");
        Files.writeString(d.resolve("generation_config.json"), "{}");
        try (HfModelFolder m = HfModelFolder.open(d)) {
            ModelLayout l = m.layout();
            assertEquals(List.of("input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                    "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                    "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"), layer0Suffixes(l));
            assertArrayEquals(new long[] {16, 32}, l.shape(WeightRole.K));
            assertArrayEquals(new long[] {32, 48}, l.shape(WeightRole.DOWN));
            assertArrayEquals(new long[] {48, 32}, l.shape(WeightRole.GATE));
            long perLayer = 32 * 32 * 2 + 16 * 32 * 2 + 48 * 32 * 3 + 64;
            long expected = 40 * 32 * 2 + 2 * perLayer + 32;
            assertEquals(expected, l.parameterCount());
            assertEquals(expected, m.parameterCount());
            assertEquals(Files.size(d.resolve("model.safetensors")), m.bytesOnDisk());
            assertEquals(Optional.of(d.resolve("tokenizer.json")), m.tokenizerJson());
            assertEquals(Optional.of(d.resolve("generation_config.json")), m.generationConfig());
            assertTrue(m.tokenizerModel().isEmpty());
            assertTrue(m.tokenizerConfig().isEmpty());
            assertEquals(List.of(), m.unknownTensors());
        }
    }

    @Test
    void mistralHasNoBiasEvenIfConfigSaysSo() throws IOException {
        Path d = SyntheticFolders.write(dir.resolve("mistral"),
                SyntheticFolders.config("MistralForCausalLM", "\"attention_bias\":true,\"sliding_window\":4096"), Set.of());
        try (HfModelFolder m = HfModelFolder.open(d)) {
            assertEquals(Architecture.MISTRAL, m.config().architecture());
            assertFalse(m.layout().present(WeightRole.Q_BIAS));
            assertFalse(m.layout().present(WeightRole.O_BIAS));
        }
    }

    @Test
    void qwen2HasQkvBiasAndMissingBiasIsNamed() throws IOException {
        String cfg = SyntheticFolders.config("Qwen2ForCausalLM", "\"tie_word_embeddings\":true");
        Path d = SyntheticFolders.write(dir.resolve("qwen2"), cfg, Set.of());
        try (HfModelFolder m = HfModelFolder.open(d)) {
            ModelLayout l = m.layout();
            assertTrue(layer0Suffixes(l).containsAll(List.of("self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias")));
            assertFalse(l.present(WeightRole.O_BIAS));
            assertArrayEquals(new long[] {16}, l.shape(WeightRole.V_BIAS));
            assertTrue(l.expected("lm_head.weight").isEmpty(), "tied: no lm_head");
        }
        Path bad = SyntheticFolders.write(dir.resolve("qwen2-bad"), cfg, Set.of("model.layers.1.self_attn.k_proj.bias"));
        CalqException e = assertThrows(CalqException.class, () -> HfModelFolder.open(bad));
        assertEquals(bad + ": tensor model.layers.1.self_attn.k_proj.bias is missing but config.json (Qwen2ForCausalLM, 2 layers) expects it",
                e.getMessage());
    }

    @Test
    void qwen3HasQkNormAndExplicitHeadDim() throws IOException {
        Path d = SyntheticFolders.write(dir.resolve("qwen3"),
                SyntheticFolders.config("Qwen3ForCausalLM", "\"head_dim\":16,\"rope_theta\":1000000"), Set.of());
        try (HfModelFolder m = HfModelFolder.open(d)) {
            ModelLayout l = m.layout();
            assertEquals(16, m.config().headDim());
            assertEquals(1_000_000.0, m.config().ropeTheta());
            assertArrayEquals(new long[] {64, 32}, l.shape(WeightRole.Q));
            assertArrayEquals(new long[] {32, 32}, l.shape(WeightRole.K));
            assertArrayEquals(new long[] {32, 64}, l.shape(WeightRole.O));
            assertArrayEquals(new long[] {16}, l.shape(WeightRole.Q_NORM));
            assertTrue(l.expected("model.layers.1.self_attn.k_norm.weight").isPresent());
            assertFalse(l.present(WeightRole.Q_BIAS));
        }
    }

    @Test
    void llamaWithAttentionBiasHasOBias() {
        ModelConfig c = ModelConfig.parse(json(SyntheticFolders.config("LlamaForCausalLM", "\"attention_bias\":true")), dir);
        ModelLayout l = new ModelLayout(c);
        assertTrue(l.present(WeightRole.O_BIAS) && l.present(WeightRole.Q_BIAS));
        assertArrayEquals(new long[] {32}, l.shape(WeightRole.O_BIAS));
    }

    @Test
    void wrongShapeTiedLmHeadAndUnknownTensors() throws IOException {
        Path d = dir.resolve("shape");
        Files.createDirectories(d);
        Files.writeString(d.resolve("config.json"), SyntheticFolders.config("LlamaForCausalLM", "\"tie_word_embeddings\":true"));
        ModelConfig c = ModelConfig.load(d);
        try (SafetensorsWriter w = SafetensorsWriter.folder(d, null, 1L << 30)) {
            for (ModelLayout.ExpectedTensor t : new ModelLayout(c).expected()) {
                long[] shape = t.name().equals("model.layers.1.mlp.up_proj.weight") ? new long[] {32, 48} : t.shape();
                w.add(t.name(), DType.F32, shape, MemorySegment.ofArray(new byte[(int) t.numel() * 4]));
            }
            w.add("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32, new long[] {4}, MemorySegment.ofArray(new byte[16]));
            w.finish();
        }
        CalqException e = assertThrows(CalqException.class, () -> HfModelFolder.open(d));
        assertEquals(d + ": tensor model.layers.1.mlp.up_proj.weight has shape [32, 48] but config.json implies [48, 32]", e.getMessage());
        Path ok = dir.resolve("extra");
        Files.createDirectories(ok);
        Files.copy(d.resolve("config.json"), ok.resolve("config.json"));
        try (SafetensorsWriter w = SafetensorsWriter.folder(ok, null, 1L << 30)) {
            for (ModelLayout.ExpectedTensor t : new ModelLayout(c).expected())
                w.add(t.name(), DType.F32, t.shape(), MemorySegment.ofArray(new byte[(int) t.numel() * 4]));
            w.add("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32, new long[] {4}, MemorySegment.ofArray(new byte[16]));
            w.add("lm_head.weight", DType.F32, new long[] {40, 32}, MemorySegment.ofArray(new byte[40 * 32 * 4]));
            w.finish();
        }
        try (HfModelFolder m = HfModelFolder.open(ok)) {
            assertEquals(List.of("model.layers.0.self_attn.rotary_emb.inv_freq"), m.unknownTensors());
        }
    }

    @Test
    void parsesNamesToRoleAndLayer() {
        assertEquals(Optional.of(new ModelLayout.WeightRef(WeightRole.Q, 12)), ModelLayout.parse("model.layers.12.self_attn.q_proj.weight"));
        assertEquals(Optional.of(new ModelLayout.WeightRef(WeightRole.MLP_NORM, 0)), ModelLayout.parse("model.layers.0.post_attention_layernorm.weight"));
        assertEquals(Optional.of(new ModelLayout.WeightRef(WeightRole.EMBEDDING, -1)), ModelLayout.parse("model.embed_tokens.weight"));
        assertEquals(Optional.of(new ModelLayout.WeightRef(WeightRole.LM_HEAD, -1)), ModelLayout.parse("lm_head.weight"));
        assertEquals(Optional.of(new ModelLayout.WeightRef(WeightRole.K_NORM, 3)), ModelLayout.parse("model.layers.3.self_attn.k_norm.weight"));
        assertEquals(Optional.empty(), ModelLayout.parse("model.layers.x.self_attn.q_proj.weight"));
        assertEquals(Optional.empty(), ModelLayout.parse("model.layers.3.self_attn.q_proj.qweight"));
        assertEquals(3, ModelLayout.layerOf("model.layers.3.self_attn.q_proj.qweight"));
        assertEquals(-1, ModelLayout.layerOf("model.norm.weight"));
        for (WeightRole r : WeightRole.values())
            assertEquals(Optional.of(new ModelLayout.WeightRef(r, r.perLayer() ? 5 : -1)), ModelLayout.parse(r.tensorName(5)));
    }

    @Test
    void sharedTinyLlamaValidates() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        try (HfModelFolder m = HfModelFolder.open(SharedData.tinyLlama())) {
            assertEquals(57_942_528L, m.parameterCount());
            assertEquals(m.layout().parameterCount(), m.parameterCount());
            assertTrue(m.tokenizerModel().isPresent() && m.tokenizerJson().isPresent());
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String s) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
