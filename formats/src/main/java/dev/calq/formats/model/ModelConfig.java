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
        int kvHeads = optionalInt(root, "num_key_value_heads", heads, file);
        int headDim = present(root, "head_dim") ? optionalInt(root, "head_dim", 0, file)
                : derivedHeadDim(hidden, heads, file, "hidden_size", "num_attention_heads");
        JsonNode ropeParams = root.path("rope_parameters");
        double theta = present(root, "rope_theta") ? optionalDouble(root, "rope_theta", 0, file)
                : ropeParams.isObject() && present(ropeParams, "rope_theta") ? optionalDouble(ropeParams, "rope_theta", 0, file) : 10000.0;
        JsonNode scalingNode = present(root, "rope_scaling") ? root.get("rope_scaling") : ropeParams;
        RopeScaling scaling = parseScaling(scalingNode, file);
        JsonNode eos = root.get("eos_token_id");
        int eosId = eos != null && eos.isArray() && !eos.isEmpty() ? eos.get(0).asInt() : optionalInt(root, "eos_token_id", 2, file);
        ModelConfig c = new ModelConfig(arch, hidden,
                requiredInt(root, "intermediate_size", file),
                requiredInt(root, "num_hidden_layers", file),
                heads, kvHeads, headDim,
                optionalDouble(root, "rms_norm_eps", 1e-6, file),
                theta, scaling,
                optionalBoolean(root, "tie_word_embeddings", false, file),
                optionalBoolean(root, "attention_bias", arch.defaultQkvBias(), file),
                requiredInt(root, "vocab_size", file),
                optionalInt(root, "max_position_embeddings", 4096, file),
                present(root, "torch_dtype") ? optionalString(root, "torch_dtype", file) : present(root, "dtype") ? optionalString(root, "dtype", file) : "float32",
                optionalInt(root, "bos_token_id", 1, file),
                eosId);
        c.validate(file);
        return c;
    }

    /**
     * hidden / heads when a config gives no head dimension; refuses a zero head count or one that does not divide the
     * hidden size (the names are the keys to quote in the message).
     */
    public static int derivedHeadDim(int hidden, int heads, Path file, String hiddenKey, String headsKey) {
        if (heads <= 0) throw CalqException.file(file, headsKey + " is " + heads + "; it must be positive");
        if (hidden % heads != 0)
            throw CalqException.file(file, hiddenKey + " " + hidden + " is not a multiple of " + headsKey + " " + heads + " (and no head dimension is given)");
        return hidden / heads;
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
        positive(file, "num_attention_heads", numHeads);
        positive(file, "num_key_value_heads", numKvHeads);
        if (numHeads % numKvHeads != 0)
            throw CalqException.file(file, "num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        if (headDim <= 0 || headDim % 2 != 0) throw CalqException.file(file, "head_dim " + headDim + " must be positive and even");
        positive(file, "hidden_size", hiddenSize);
        positive(file, "intermediate_size", intermediateSize);
        positive(file, "num_hidden_layers", numLayers);
        positive(file, "vocab_size", vocabSize);
        positive(file, "max_position_embeddings", maxPositionEmbeddings);
        // Each of these makes every activation NaN or Inf if it is not a positive finite number.
        positiveFinite(file, "rms_norm_eps", rmsNormEps);
        positiveFinite(file, "rope_theta", ropeTheta);
        if (!ropeScaling.isDefault()) {
            positiveFinite(file, "rope_scaling.factor", ropeScaling.factor());
            if ("llama3".equals(ropeScaling.type())) {
                positiveFinite(file, "rope_scaling.low_freq_factor", ropeScaling.lowFreqFactor());
                positiveFinite(file, "rope_scaling.high_freq_factor", ropeScaling.highFreqFactor());
                if (!(ropeScaling.highFreqFactor() > ropeScaling.lowFreqFactor()))
                    throw CalqException.file(file, "rope_scaling.high_freq_factor " + ropeScaling.highFreqFactor()
                            + " must exceed low_freq_factor " + ropeScaling.lowFreqFactor());
                positive(file, "rope_scaling.original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
        }
    }

    private static void positive(Path file, String key, long v) {
        if (v <= 0) throw CalqException.file(file, key + " is " + v + "; it must be positive");
    }

    private static void positiveFinite(Path file, String key, double v) {
        if (!(v > 0) || !Double.isFinite(v)) throw CalqException.file(file, key + " is " + v + "; it must be a positive finite number");
    }

    private static RopeScaling parseScaling(JsonNode n, Path file) {
        if (n == null || n.isNull() || n.isMissingNode()) return RopeScaling.NONE;
        if (!n.isObject()) throw CalqException.file(file, "\"rope_scaling\" is " + n.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ", expected an object");
        String type = present(n, "rope_type") ? optionalString(n, "rope_type", file) : present(n, "type") ? optionalString(n, "type", file) : "default";
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "llama3", "linear" -> new RopeScaling(type, optionalDouble(n, "factor", 1.0, file),
                    optionalDouble(n, "low_freq_factor", 1.0, file), optionalDouble(n, "high_freq_factor", 4.0, file),
                    optionalInt(n, "original_max_position_embeddings", 8192, file));
            default -> throw CalqException.file(file, "unsupported rope_scaling type " + type + "; supported: default, linear, llama3");
        };
    }

    /** A key that is given with a value (JSON null counts as absent, as transformers reads it). */
    private static boolean present(JsonNode root, String key) {
        JsonNode v = root.get(key);
        return v != null && !v.isNull();
    }

    private static int requiredInt(JsonNode root, String key, Path file) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) throw CalqException.file(file, "missing \"" + key + "\"");
        return optionalInt(root, key, 0, file);
    }

    /** The integer at key, the fallback when absent or null; any other type is an error, never a silent default. */
    private static int optionalInt(JsonNode root, String key, int fallback, Path file) {
        if (!present(root, key)) return fallback;
        JsonNode v = root.get(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt())
            throw CalqException.file(file, "\"" + key + "\" is " + v + ", expected an integer");
        return v.asInt();
    }

    private static double optionalDouble(JsonNode root, String key, double fallback, Path file) {
        if (!present(root, key)) return fallback;
        JsonNode v = root.get(key);
        if (!v.isNumber()) throw CalqException.file(file, "\"" + key + "\" is " + v + ", expected a number");
        return v.asDouble();
    }

    private static boolean optionalBoolean(JsonNode root, String key, boolean fallback, Path file) {
        if (!present(root, key)) return fallback;
        JsonNode v = root.get(key);
        if (!v.isBoolean()) throw CalqException.file(file, "\"" + key + "\" is " + v + ", expected true or false");
        return v.asBoolean();
    }

    private static String optionalString(JsonNode root, String key, Path file) {
        JsonNode v = root.get(key);
        if (!v.isTextual()) throw CalqException.file(file, "\"" + key + "\" is " + v + ", expected a string");
        return v.asText();
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
