package dev.calq.calibration.model;

import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** An in-memory TensorSource for synthetic models in tests. */
final class MapTensorSource implements TensorSource {
    final Map<String, Tensor> tensors = new LinkedHashMap<>();

    void put(Tensor t) { tensors.put(t.name(), t); }

    @Override public Set<String> names() { return tensors.keySet(); }

    @Override public boolean contains(String name) { return tensors.containsKey(name); }

    @Override public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CalqException("memory: no tensor " + name);
        return t;
    }

    @Override public void close() {}
}
