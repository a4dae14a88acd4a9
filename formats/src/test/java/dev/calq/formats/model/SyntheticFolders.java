package dev.calq.formats.model;

import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** Writes tiny Hugging Face model folders (config.json + bf16 safetensors) for tests. */
final class SyntheticFolders {
    private SyntheticFolders() {}

    static String config(String arch, String extra) {
        return "{\"architectures\":[\"" + arch + "\"],\"hidden_size\":32,\"intermediate_size\":48,\"num_hidden_layers\":2,"
                + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":40,\"rms_norm_eps\":1e-5"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    /** Writes config.json and every tensor the layout implies, except {@code skip}; returns the folder. */
    static Path write(Path dir, String configJson, Set<String> skip) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        ModelConfig c = ModelConfig.load(dir);
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, 1L << 30)) {
            for (ModelLayout.ExpectedTensor t : new ModelLayout(c).expected()) {
                if (skip.contains(t.name())) continue;
                w.add(t.name(), DType.BF16, t.shape(), MemorySegment.ofArray(new byte[(int) t.numel() * 2]));
            }
            w.finish();
        }
        return dir;
    }
}
