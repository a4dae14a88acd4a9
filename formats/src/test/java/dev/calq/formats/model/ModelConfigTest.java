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
        assertTrue(e.getMessage().contains("missing \"num_attention_heads\""), e.getMessage());
        Files.delete(dir.resolve("config.json"));
        e = assertThrows(CalqException.class, () -> ModelConfig.load(dir));
        assertTrue(e.getMessage().endsWith("config.json: not found (is " + dir + " a Hugging Face model folder?)"), e.getMessage());
    }

    /** Every hyperparameter that would divide by zero or make every activation NaN is refused, naming the key. */
    @Test
    void hyperparametersAreValidated() {
        String[][] cases = {
                {"\"num_attention_heads\":0", "num_attention_heads is 0; it must be positive"},
                {"\"num_attention_heads\":5,\"num_key_value_heads\":5", "hidden_size 32 is not a multiple of num_attention_heads 5"},
                {"\"num_key_value_heads\":0", "num_key_value_heads is 0; it must be positive"},
                {"\"rms_norm_eps\":-1e-5", "rms_norm_eps is -1.0E-5; it must be a positive finite number"},
                {"\"rope_theta\":0", "rope_theta is 0.0; it must be a positive finite number"},
                {"\"rope_theta\":-10000", "rope_theta is -10000.0"},
                {"\"rope_scaling\":{\"type\":\"linear\",\"factor\":0}", "rope_scaling.factor is 0.0"},
                {"\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8,\"low_freq_factor\":4,\"high_freq_factor\":4}", "must exceed low_freq_factor"},
                {"\"max_position_embeddings\":0", "max_position_embeddings is 0"},
                {"\"hidden_size\":\"32\"", "\"hidden_size\" is \"32\", expected an integer"},
                {"\"rms_norm_eps\":\"1e-5\"", "\"rms_norm_eps\" is \"1e-5\", expected a number"},
                {"\"tie_word_embeddings\":\"yes\"", "\"tie_word_embeddings\" is \"yes\", expected true or false"},
                {"\"num_key_value_heads\":2.5", "\"num_key_value_heads\" is 2.5, expected an integer"},
                {"\"rope_scaling\":7", "\"rope_scaling\" is number, expected an object"},
        };
        for (String[] c : cases) {
            CalqException e = assertThrows(CalqException.class, () -> load(SyntheticFolders.config("LlamaForCausalLM", c[0])), c[0]);
            assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void nullValuesMeanAbsent() throws IOException {
        ModelConfig c = load(SyntheticFolders.config("LlamaForCausalLM", "\"head_dim\":null,\"rope_scaling\":null,\"bos_token_id\":null,\"torch_dtype\":null"));
        assertEquals(8, c.headDim());
        assertTrue(c.ropeScaling().isDefault());
        assertEquals(1, c.bosTokenId());
    }
}
