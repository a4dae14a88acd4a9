package dev.calq.calibration.model;

import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.safetensors.SafetensorsModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** A Hugging Face model folder: config.json plus model.safetensors (or a sharded index), float weights. */
final class SafetensorsFolderReader implements ModelReader {
    @Override public boolean accepts(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json"));
    }

    @Override public LoadedModel open(Path dir) {
        ModelConfig config = ModelConfig.load(dir);
        if (!Files.isRegularFile(dir.resolve(SafetensorsModel.SINGLE_FILE)) && !Files.isRegularFile(dir.resolve(SafetensorsModel.INDEX_FILE)))
            throw CalqException.file(dir, "no " + SafetensorsModel.SINGLE_FILE + " or " + SafetensorsModel.INDEX_FILE + " in the model folder");
        return new LoadedModel(dir, config, SafetensorsModel.open(dir), dir, "safetensors");
    }
}
