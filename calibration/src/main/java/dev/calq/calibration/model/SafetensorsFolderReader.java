package dev.calq.calibration.model;

import dev.calq.formats.model.HfModelFolder;
import java.nio.file.Files;
import java.nio.file.Path;

/** A Hugging Face model folder: config.json plus model.safetensors (or a sharded index), float weights. */
final class SafetensorsFolderReader implements ModelReader {
    @Override public boolean accepts(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json"));
    }

    /** The folder's tensors are checked against config.json here, before any forward pass. */
    @Override public LoadedModel open(Path dir) {
        HfModelFolder folder = HfModelFolder.open(dir);
        return new LoadedModel(dir, folder.config(), folder.weights(), dir, "safetensors");
    }
}
