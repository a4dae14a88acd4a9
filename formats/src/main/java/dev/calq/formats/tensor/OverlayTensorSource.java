package dev.calq.formats.tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A tensor source with some tensors replaced by computed ones of the same name (e.g. AWQ's scaled norms written
 * through a format writer that copies every unquantized tensor from its source). Closing it closes nothing: the
 * base source belongs to the caller.
 */
public final class OverlayTensorSource implements TensorSource {
    private final TensorSource base;
    private final Map<String, Tensor> replaced = new LinkedHashMap<>();

    public OverlayTensorSource(TensorSource base) { this.base = base; }

    /** Replaces the base tensor of the same name; the name must exist in the base. */
    public OverlayTensorSource replace(Tensor t) {
        if (!base.contains(t.name())) throw new IllegalArgumentException("no tensor " + t.name() + " to replace");
        replaced.put(t.name(), t);
        return this;
    }

    @Override public Set<String> names() { return base.names(); }

    @Override public boolean contains(String name) { return base.contains(name); }

    @Override public Tensor get(String name) {
        Tensor t = replaced.get(name);
        return t != null ? t : base.get(name);
    }

    @Override public Map<String, String> metadata() { return base.metadata(); }

    @Override public void close() {}
}
