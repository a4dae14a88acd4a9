package dev.calq.formats.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The hyperparameters of a Llama-family decoder, read from a Hugging Face config.json.
 * Field names follow config.json; derived defaults follow transformers (head_dim = hidden / heads, kv heads =
 * heads, rope_theta 10000, or rope_parameters as transformers 5 writes it).
 */
public record ModelConfig(
        Architecture architecture,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int vocabSize,
        int maxPositionEmbeddings,
        String torchDtype,
        int bosTokenId,
        int eosTokenId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads {@code dir/config.json}. */
    public static ModelConfig load(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) throw CalqException.file(file, "not found (is " + dir + " a Hugging Face model folder?)");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw CalqException.file(file, "invalid JSON: " + firstLine(e.getMessage()));
        }
        return parse(root, file);
    }

    public static ModelConfig parse(JsonNode root, Path file) {
        if (root == null || !root.isObject()) throw CalqException.file(file, "expected a JSON object");
        JsonNode archs = root.path("architectures");
        String archName = archs.isArray() && !archs.isEmpty() ? archs.get(0).asText() : null;
        Architecture arch = archName == null ? null : Architecture.fromHfClass(archName);
        if (arch == null)
            throw CalqException.file(file, "unsupported architecture " + (archName == null ? "(none given)" : archName)
                    + "; supported: " + Architecture.supportedList());
        int hidden = requiredInt(root, "hidden_size", file);
        int heads = requiredInt(root, "num_attention_heads", file);
        int kvHeads = root.path("num_key_value_heads").isInt() ? root.get("num_key_value_heads").asInt() : heads;
        int headDim = root.path("head_dim").isInt() ? root.get("head_dim").asInt() : hidden / heads;
        JsonNode ropeParams = root.path("rope_parameters");
        double theta = root.path("rope_theta").isNumber() ? root.get("rope_theta").asDouble()
                : ropeParams.path("rope_theta").isNumber() ? ropeParams.get("rope_theta").asDouble() : 10000.0;
        JsonNode scalingNode = root.path("rope_scaling").isObject() ? root.get("rope_scaling") : ropeParams;
        RopeScaling scaling = parseScaling(scalingNode, file);
        ModelConfig c = new ModelConfig(arch, hidden,
                requiredInt(root, "intermediate_size", file),
                requiredInt(root, "num_hidden_layers", file),
                heads, kvHeads, headDim,
                root.path("rms_norm_eps").asDouble(1e-6),
                theta, scaling,
                root.path("tie_word_embeddings").asBoolean(false),
                root.path("attention_bias").asBoolean(arch.defaultQkvBias()),
                requiredInt(root, "vocab_size", file),
                root.path("max_position_embeddings").asInt(4096),
                root.path("torch_dtype").asText(root.path("dtype").asText("float32")),
                root.path("bos_token_id").isInt() ? root.get("bos_token_id").asInt() : 1,
                root.path("eos_token_id").isInt() ? root.get("eos_token_id").asInt()
                        : root.path("eos_token_id").isArray() && !root.get("eos_token_id").isEmpty() ? root.get("eos_token_id").get(0).asInt() : 2);
        c.validate(file);
        return c;
    }

    /**
     * This config after the checks {@link #load} applies (head counts, head_dim, positive sizes), for readers that
     * build a config from another format's metadata (GGUF); a fault names {@code file}.
     */
    public ModelConfig validated(Path file) {
        validate(file);
        return this;
    }

    private void validate(Path file) {
        if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0)
            throw CalqException.file(file, "num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        if (headDim <= 0 || headDim % 2 != 0) throw CalqException.file(file, "head_dim " + headDim + " must be positive and even");
        if (hiddenSize <= 0 || intermediateSize <= 0 || numLayers <= 0 || vocabSize <= 0)
            throw CalqException.file(file, "sizes must be positive");
    }

    private static RopeScaling parseScaling(JsonNode n, Path file) {
        if (n == null || !n.isObject()) return RopeScaling.NONE;
        String type = n.path("rope_type").asText(n.path("type").asText("default"));
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "llama3", "linear" -> new RopeScaling(type, n.path("factor").asDouble(1.0),
                    n.path("low_freq_factor").asDouble(1.0), n.path("high_freq_factor").asDouble(4.0),
                    n.path("original_max_position_embeddings").asInt(8192));
            default -> throw CalqException.file(file, "unsupported rope_scaling type " + type + "; supported: default, linear, llama3");
        };
    }

    private static int requiredInt(JsonNode root, String key, Path file) {
        JsonNode v = root.get(key);
        if (v == null || !v.canConvertToInt()) throw CalqException.file(file, "missing or non-integer \"" + key + "\"");
        return v.asInt();
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    public int qDim() { return numHeads * headDim; }

    public int kvDim() { return numKvHeads * headDim; }

    public boolean hasQkNorm() { return architecture.hasQkNorm(); }
}
