package dev.calq.calibration.model;

import dev.calq.calibration.kernels.MatMul;
import dev.calq.formats.CalqException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens a model from a path whatever its format: the first reader that accepts the path opens it. Readers of
 * quantized checkpoints (GPTQ, AWQ, GGUF) dequantize to float tensors under Hugging Face names so that the same
 * {@link LlamaModel} runs them; each plugs in with one line in {@link #READERS}, before the plain safetensors
 * reader (a GPTQ/AWQ folder also has a config.json).
 */
public final class ModelLoader {
    private static final List<ModelReader> READERS = List.of(
            new GgufModelReader(),
            new QuantizedFolderReader(),
            new SafetensorsFolderReader());

    private ModelLoader() {}

    /** Opens the model; every caller runs it next, so the kernels start compiling meanwhile. */
    public static LoadedModel load(Path path) {
        if (!Files.exists(path)) throw CalqException.file(path, "not found");
        MatMul.warmUpInBackground();
        for (ModelReader r : READERS) if (r.accepts(path)) return r.open(path);
        throw CalqException.file(path, "not a model: expected a Hugging Face folder with config.json and model.safetensors, or a .gguf file");
    }
}
