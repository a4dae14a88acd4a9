package dev.calq.calibration.model;

import java.nio.file.Path;

/** One on-disk model format that {@link ModelLoader} can open into a config plus Hugging Face-named tensors. */
public interface ModelReader {
    /** Whether {@code path} (a folder or a file) is in this reader's format; cheap, no full parse. */
    boolean accepts(Path path);

    /** Opens the model; throws {@link dev.calq.formats.CalqException} naming the file on bad input. */
    LoadedModel open(Path path);
}
