package dev.calq.formats.model;

import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A Hugging Face model folder opened and checked: config.json, the safetensors weights (validated against the
 * config's layout) and the paths of the tokenizer and generation files that are present.
 */
public final class HfModelFolder implements AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final ModelLayout layout;
    private final SafetensorsModel weights;
    private final List<String> unknownTensors;

    private HfModelFolder(Path dir, ModelConfig config, SafetensorsModel weights, List<String> unknownTensors) {
        this.dir = dir;
        this.config = config;
        this.layout = new ModelLayout(config);
        this.weights = weights;
        this.unknownTensors = unknownTensors;
    }

    /** Opens {@code dir}: reads config.json, maps the weights and checks every tensor the config implies. */
    public static HfModelFolder open(Path dir) {
        if (!Files.isDirectory(dir))
            throw CalqException.file(dir, Files.exists(dir) ? "not a folder (expected a Hugging Face model folder)" : "not found");
        ModelConfig config = ModelConfig.load(dir);
        SafetensorsModel weights = SafetensorsModel.open(dir);
        try {
            List<String> unknown = ModelLayout.validate(config, weights, weights.index().orElse(dir));
            return new HfModelFolder(dir, config, weights, List.copyOf(unknown));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** True when {@code dir} looks like a Hugging Face model folder (has config.json and safetensors weights). */
    public static boolean looksLikeOne(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"))
                && (Files.isRegularFile(dir.resolve(SafetensorsModel.SINGLE_FILE)) || Files.isRegularFile(dir.resolve(SafetensorsModel.INDEX_FILE)));
    }

    public Path dir() { return dir; }

    public ModelConfig config() { return config; }

    public ModelLayout layout() { return layout; }

    public SafetensorsModel weights() { return weights; }

    /** Tensor names the layout does not know (e.g. rotary inv_freq buffers of old checkpoints). */
    public List<String> unknownTensors() { return unknownTensors; }

    public Optional<Path> tokenizerJson() { return file("tokenizer.json"); }

    /** The SentencePiece model of Llama-2/Mistral-style tokenizers. */
    public Optional<Path> tokenizerModel() { return file("tokenizer.model"); }

    public Optional<Path> tokenizerConfig() { return file("tokenizer_config.json"); }

    public Optional<Path> generationConfig() { return file("generation_config.json"); }

    public Optional<Path> specialTokensMap() { return file("special_tokens_map.json"); }

    private Optional<Path> file(String name) {
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** Number of elements over all weight tensors in the files. */
    public long parameterCount() { return weights.parameterCount(); }

    /** Size of the .safetensors weight files in bytes. */
    public long bytesOnDisk() { return weights.bytesOnDisk(); }

    @Override public void close() { weights.close(); }
}
