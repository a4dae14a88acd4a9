package dev.calq.formats.quantized;

import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The shared part of a quantized checkpoint read as float weights: the safetensors folder, the visible names
 * (packed layers under their ".weight" names, their parts hidden) and the pass-through of metadata and closing.
 * Subclasses dequantize in {@link #get}.
 */
public abstract class PackedCheckpointSource implements TensorSource {
    protected final Path dir;
    protected final SafetensorsModel model;
    private final Set<String> names;

    protected PackedCheckpointSource(Path dir, SafetensorsModel model, Set<String> names) {
        this.dir = dir;
        this.model = model;
        this.names = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(names));
    }

    @Override public Set<String> names() { return names; }

    @Override public boolean contains(String name) { return names.contains(name); }

    @Override public Map<String, String> metadata() { return model.metadata(); }

    @Override public void close() { model.close(); }
}
