package dev.calq.calibration.model;

import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.llama.GgufModelConfig;
import dev.calq.formats.gguf.llama.GgufTensorSource;
import dev.calq.formats.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A .gguf file (llama, qwen2, qwen3): the config comes from its metadata and every tensor is dequantized to float
 * under its Hugging Face name, so calq eval measures exactly what was written. The tokenizer also lives in the
 * file, so {@link LoadedModel#tokenizerDir()} is the file itself (the tokenizer loader reads GGUF metadata).
 */
final class GgufModelReader implements ModelReader {
    @Override public boolean accepts(Path path) {
        return Files.isRegularFile(path) && GgufFile.hasMagic(path);
    }

    @Override public LoadedModel open(Path path) {
        GgufFile f = GgufFile.open(path);
        try {
            ModelConfig config = GgufModelConfig.of(f);
            return new LoadedModel(path, config, new GgufTensorSource(f, config), path, "gguf");
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }
}
