package dev.calq.formats.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
    @TempDir Path dir;

    private ModelConfig load(String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json);
        return ModelConfig.load(dir);
    }

    @Test
    void llama3RopeScaling() throws IOException {
        ModelConfig c = load(SyntheticFolders.config("LlamaForCausalLM", "\"rope_theta\":500000.0,\"rope_scaling\":{\"factor\":8.0,"
                + "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"},"
                + "\"eos_token_id\":[128001,128008],\"bos_token_id\":128000,\"torch_dtype\":\"bfloat16\""));
        assertEquals(new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(128001, c.eosTokenId());
        assertEquals(128000, c.bosTokenId());
        assertEquals("bfloat16", c.torchDtype());
        assertEquals(8, c.headDim());
        assertEquals(16, c.kvDim());
    }

    @Test
    void transformers5RopeParameters() throws IOException {
        ModelConfig c = load(SyntheticFolders.config("LlamaForCausalLM", "\"rope_parameters\":{\"rope_theta\":250000.0,\"rope_type\":\"llama3\","
                + "\"factor\":32.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}"));
        assertEquals(250000.0, c.ropeTheta());
        assertEquals(32.0, c.ropeScaling().factor());
        assertEquals("llama3", c.ropeScaling().type());
        assertTrue(load(SyntheticFolders.config("LlamaForCausalLM", "")).ropeScaling().isDefault());
    }

    @Test
    void unsupportedArchitectureListsSupported() {
        CalqException e = assertThrows(CalqException.class, () -> load(SyntheticFolders.config("GPT2LMHeadModel", "")));
        assertEquals(dir.resolve("config.json") + ": unsupported architecture GPT2LMHeadModel; supported: LlamaForCausalLM, "
                + "MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM", e.getMessage());
        e = assertThrows(CalqException.class, () -> load("{\"hidden_size\":4}"));
        assertTrue(e.getMessage().contains("unsupported architecture (none given); supported: LlamaForCausalLM"), e.getMessage());
    }

    @Test
    void badConfigs() throws IOException {
        CalqException e = assertThrows(CalqException.class, () -> load("{not json"));
        assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": invalid JSON"), e.getMessage());
        e = assertThrows(CalqException.class, () -> load(SyntheticFolders.config("LlamaForCausalLM", "\"num_key_value_heads\":3")));
        assertTrue(e.getMessage().contains("not a multiple of num_key_value_heads 3"), e.getMessage());
        e = assertThrows(CalqException.class, () -> load("{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":32}"));
        assertTrue(e.getMessage().contains("missing or non-integer \"num_attention_heads\""), e.getMessage());
        Files.delete(dir.resolve("config.json"));
        e = assertThrows(CalqException.class, () -> ModelConfig.load(dir));
        assertTrue(e.getMessage().endsWith("config.json: not found (is " + dir + " a Hugging Face model folder?)"), e.getMessage());
    }
}
