package dev.calq.formats.model;

import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tensors a Llama-family checkpoint must hold for a given config: Hugging Face name, role, layer and shape
 * (nn.Linear weights are [out, in]). Which optional tensors exist follows transformers' modeling code: Qwen2 always
 * has q/k/v biases and no o_proj bias; Llama and Qwen3 have q/k/v/o biases when attention_bias is true; Mistral has
 * none; Qwen3 adds q_norm/k_norm of head_dim; lm_head is absent when the embeddings are tied.
 */
public final class ModelLayout {
    /** Where a Hugging Face name points: a role and its layer (-1 for global roles). */
    public record WeightRef(WeightRole role, int layer) {
        public String tensorName() { return role.tensorName(layer); }
    }

    /** One tensor the config implies. */
    public record ExpectedTensor(String name, WeightRole role, int layer, long[] shape) {
        public ExpectedTensor {
            shape = shape.clone();
        }

        @Override public long[] shape() { return shape.clone(); }

        public long numel() { return Tensor.numel(shape); }
    }

    private final ModelConfig config;
    private final Map<String, ExpectedTensor> expected;

    public ModelLayout(ModelConfig config) {
        this.config = config;
        Map<String, ExpectedTensor> m = new LinkedHashMap<>();
        for (WeightRole r : List.of(WeightRole.EMBEDDING)) put(m, r, -1);
        for (int l = 0; l < config.numLayers(); l++)
            for (WeightRole r : WeightRole.values()) if (r.perLayer() && present(r)) put(m, r, l);
        put(m, WeightRole.FINAL_NORM, -1);
        if (!config.tieWordEmbeddings()) put(m, WeightRole.LM_HEAD, -1);
        this.expected = Collections.unmodifiableMap(m);
    }

    private void put(Map<String, ExpectedTensor> m, WeightRole r, int layer) {
        String name = r.tensorName(layer);
        m.put(name, new ExpectedTensor(name, r, layer, shape(r)));
    }

    public ModelConfig config() { return config; }

    /** Whether the config implies tensors of this role (in every layer for layer roles). */
    public boolean present(WeightRole r) {
        Architecture a = config.architecture();
        return switch (r) {
            case Q_BIAS, K_BIAS, V_BIAS -> a == Architecture.QWEN2 || (a != Architecture.MISTRAL && config.attentionBias());
            case O_BIAS -> config.attentionBias() && (a == Architecture.LLAMA || a == Architecture.QWEN3);
            case Q_NORM, K_NORM -> config.hasQkNorm();
            case LM_HEAD -> !config.tieWordEmbeddings();
            default -> true;
        };
    }

    /** The shape of a role's tensor under this config (whether or not the config has it). */
    public long[] shape(WeightRole r) {
        long h = config.hiddenSize(), q = config.qDim(), kv = config.kvDim(), ff = config.intermediateSize();
        long vocab = config.vocabSize(), hd = config.headDim();
        return switch (r) {
            case EMBEDDING, LM_HEAD -> new long[] {vocab, h};
            case ATTN_NORM, MLP_NORM, FINAL_NORM, O_BIAS -> new long[] {h};
            case Q -> new long[] {q, h};
            case K, V -> new long[] {kv, h};
            case O -> new long[] {h, q};
            case Q_BIAS -> new long[] {q};
            case K_BIAS, V_BIAS -> new long[] {kv};
            case Q_NORM, K_NORM -> new long[] {hd};
            case GATE, UP -> new long[] {ff, h};
            case DOWN -> new long[] {h, ff};
        };
    }

    /** Every tensor the config implies, in model order (embeddings, layer 0 ... N-1, final norm, lm_head). */
    public List<ExpectedTensor> expected() { return List.copyOf(expected.values()); }

    /** The expected tensor of this name, if the config implies one. */
    public Optional<ExpectedTensor> expected(String name) { return Optional.ofNullable(expected.get(name)); }

    /** The number of parameters the config implies. */
    public long parameterCount() {
        long n = 0;
        for (ExpectedTensor t : expected.values()) n += t.numel();
        return n;
    }

    /** Parses a Hugging Face tensor name of any Llama-family model (regardless of config); empty if unknown. */
    public static Optional<WeightRef> parse(String name) {
        for (WeightRole r : WeightRole.values())
            if (!r.perLayer() && r.hfSuffix().equals(name)) return Optional.of(new WeightRef(r, -1));
        if (!name.startsWith(WeightRole.LAYER_PREFIX)) return Optional.empty();
        int dot = name.indexOf('.', WeightRole.LAYER_PREFIX.length());
        if (dot < 0) return Optional.empty();
        int layer = layerNumber(name.substring(WeightRole.LAYER_PREFIX.length(), dot));
        if (layer < 0) return Optional.empty();
        String suffix = name.substring(dot + 1);
        for (WeightRole r : WeightRole.values())
            if (r.perLayer() && r.hfSuffix().equals(suffix)) return Optional.of(new WeightRef(r, layer));
        return Optional.empty();
    }

    /**
     * The decoder layer a tensor name belongs to ("model.layers.N." prefix, any suffix), or -1. Useful for
     * grouping quantized tensors (qweight, scales) that {@link #parse} does not know.
     */
    public static int layerOf(String name) {
        if (!name.startsWith(WeightRole.LAYER_PREFIX)) return -1;
        int dot = name.indexOf('.', WeightRole.LAYER_PREFIX.length());
        return dot < 0 ? -1 : layerNumber(name.substring(WeightRole.LAYER_PREFIX.length(), dot));
    }

    private static int layerNumber(String s) {
        if (s.isEmpty() || s.length() > 9) return -1;
        for (int i = 0; i < s.length(); i++) if (!Character.isDigit(s.charAt(i))) return -1;
        return Integer.parseInt(s);
    }

    /** {@link #validate(TensorSource, Path)} with a layout built from {@code config}. */
    public static List<String> validate(ModelConfig config, TensorSource weights, Path origin) {
        return new ModelLayout(config).validate(weights, origin);
    }

    /**
     * Checks that every expected tensor is present with a float dtype and the right shape (a tied model may still
     * carry lm_head.weight; it is checked if present). Throws a CalqException naming {@code origin} and the first
     * fault; returns the names the layout does not know (extra tensors, ignored by loaders), in source order.
     */
    public List<String> validate(TensorSource weights, Path origin) {
        List<String> missing = new ArrayList<>();
        for (ExpectedTensor e : expected.values()) if (!weights.contains(e.name())) missing.add(e.name());
        if (!missing.isEmpty())
            throw CalqException.file(origin, "tensor " + missing.getFirst() + " is missing"
                    + (missing.size() > 1 ? " (and " + (missing.size() - 1) + " more)" : "")
                    + " but config.json (" + config.architecture().hfClass() + ", " + config.numLayers() + " layers) expects it");
        List<String> unknown = new ArrayList<>();
        for (String name : weights.names()) {
            ExpectedTensor e = expected.get(name);
            if (e == null && name.equals(WeightRole.LM_HEAD.tensorName(-1)))
                e = new ExpectedTensor(name, WeightRole.LM_HEAD, -1, shape(WeightRole.LM_HEAD));
            if (e == null) {
                unknown.add(name);
                continue;
            }
            Tensor t = weights.get(name);
            if (!t.dtype().isFloat())
                throw CalqException.file(origin, "tensor " + name + " has type " + t.dtype() + "; expected a float type (F32, F16, BF16, F64)");
            if (!Arrays.equals(t.shape(), e.shape))
                throw CalqException.file(origin, "tensor " + name + " has shape " + Arrays.toString(t.shape())
                        + " but config.json implies " + Arrays.toString(e.shape));
        }
        return unknown;
    }
}
