package dev.calq.calibration.model;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;

/**
 * A model opened by {@link ModelLoader}: its config, its weights by Hugging Face name (memory-mapped, or dequantized
 * by a quantized-format reader) and where its tokenizer is: the folder holding its tokenizer files, or the GGUF file
 * whose metadata holds it ({@code Tokenizers.load} takes either). Close it to unmap the weights.
 */
public record LoadedModel(Path path, ModelConfig config, TensorSource weights, Path tokenizerDir, String format)
        implements AutoCloseable {

    /** Builds the forward pass over the weights (checks every tensor against the config). */
    public LlamaModel model() { return LlamaModel.load(config, weights, path.toString()); }

    /** What a GGUF file is written from: this Hugging Face folder's config and side files with {@code tensors} (the method's weights). */
    public GgufConverter.Source ggufSource(TensorSource tensors) {
        if (!"safetensors".equals(format))
            throw CalqException.file(path, "a GGUF output needs a Hugging Face model folder (its tokenizer files), not a " + format + " model");
        return new GgufConverter.Source(path, config, tensors);
    }

    @Override public void close() { weights.close(); }
}
