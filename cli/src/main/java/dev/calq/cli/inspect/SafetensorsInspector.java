package dev.calq.cli.inspect;

import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.ModelLayout;
import dev.calq.formats.safetensors.SafetensorsFile;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Hugging Face safetensors: a model folder (config.json plus model.safetensors or a sharded index), a folder of
 * safetensors without config, or one .safetensors file. A config that does not match the tensors is reported as a
 * note rather than refused, since inspecting a broken checkpoint is one of the reasons to run inspect.
 */
public final class SafetensorsInspector implements ModelInspector {
    @Override public String accepts() {
        return "a Hugging Face model folder, a .safetensors file or a model.safetensors.index.json";
    }

    @Override public boolean handles(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        if (Files.isRegularFile(path)) return name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json");
        if (!Files.isDirectory(path)) return false;
        try (Stream<Path> s = Files.list(path)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors")
                    || p.getFileName().toString().equals(SafetensorsModel.INDEX_FILE));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Override public Inspection inspect(Path path) {
        List<String> notes = new ArrayList<>();
        ModelConfig config = null;
        Path folder = Files.isDirectory(path) ? path : null;
        if (folder != null && Files.isRegularFile(folder.resolve("config.json"))) {
            try {
                config = ModelConfig.load(folder);
            } catch (CalqException e) {
                notes.add(e.getMessage());
            }
            String q = quantization(folder.resolve("config.json"));
            if (q != null) notes.add(q);
        }
        try (SafetensorsModel m = SafetensorsModel.open(path)) {
            if (config != null) {
                try {
                    List<String> unknown = ModelLayout.validate(config, m, m.index().orElse(path));
                    if (!unknown.isEmpty())
                        notes.add(unknown.size() + " tensor(s) not part of the " + config.architecture().hfClass()
                                + " layout, e.g. " + unknown.getFirst());
                } catch (CalqException e) {
                    notes.add(e.getMessage());
                }
            }
            List<Inspection.TensorRow> rows = new ArrayList<>();
            for (String n : m.names()) {
                Tensor t = m.get(n);
                rows.add(new Inspection.TensorRow(n, t.dtype().name(), t.shape()));
            }
            List<Path> files = new ArrayList<>();
            m.index().ifPresent(files::add);
            for (SafetensorsFile f : m.files()) files.add(f.path());
            return new Inspection(path, "safetensors", config == null ? null : config.architecture().hfClass(),
                    config == null ? Map.of() : hyperparameters(config), m.parameterCount(), m.bytesOnDisk(), files,
                    m.metadata(), rows, notes);
        }
    }

    /** One line naming a quantized checkpoint's scheme from config.json's quantization_config, or null. */
    static String quantization(Path configJson) {
        try {
            var q = new com.fasterxml.jackson.databind.ObjectMapper().readTree(configJson.toFile()).path("quantization_config");
            if (!q.isObject()) return null;
            StringBuilder b = new StringBuilder("quantized: ").append(q.path("quant_method").asText("?"));
            var w = q.path("config_groups").elements().hasNext() ? q.path("config_groups").elements().next().path("weights") : q;
            for (String k : new String[] {"format", "checkpoint_format", "version", "bnb_4bit_quant_type", "bnb_4bit_use_double_quant"})
                if (q.has(k)) b.append(", ").append(k).append(' ').append(q.get(k).asText());
            for (String k : new String[] {"bits", "num_bits", "group_size", "strategy", "sym", "symmetric", "zero_point", "desc_act", "actorder"})
                if (w.has(k)) b.append(", ").append(k).append(' ').append(w.get(k).isNull() ? "null" : w.get(k).asText());
            return b.toString();
        } catch (java.io.IOException e) {
            return null; // ModelConfig.load reported the unreadable file
        }
    }

    /** The config values that determine the model's shape and numerics, under their config.json names. */
    static Map<String, Object> hyperparameters(ModelConfig c) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("hidden_size", c.hiddenSize());
        h.put("intermediate_size", c.intermediateSize());
        h.put("num_hidden_layers", c.numLayers());
        h.put("num_attention_heads", c.numHeads());
        h.put("num_key_value_heads", c.numKvHeads());
        h.put("head_dim", c.headDim());
        h.put("vocab_size", c.vocabSize());
        h.put("max_position_embeddings", c.maxPositionEmbeddings());
        h.put("rms_norm_eps", c.rmsNormEps());
        h.put("rope_theta", c.ropeTheta());
        if (!c.ropeScaling().isDefault()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("rope_type", c.ropeScaling().type());
            r.put("factor", c.ropeScaling().factor());
            if (c.ropeScaling().type().equals("llama3")) {
                r.put("low_freq_factor", c.ropeScaling().lowFreqFactor());
                r.put("high_freq_factor", c.ropeScaling().highFreqFactor());
                r.put("original_max_position_embeddings", c.ropeScaling().originalMaxPositionEmbeddings());
            }
            h.put("rope_scaling", r);
        }
        h.put("tie_word_embeddings", c.tieWordEmbeddings());
        h.put("attention_bias", c.attentionBias());
        h.put("torch_dtype", c.torchDtype());
        return h;
    }
}
