package dev.calq.cli.inspect;

import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A GGUF file (recognised by its magic): every metadata key (arrays abbreviated), the architecture's own keys as
 * hyperparameters, every tensor with its ggml type, and bits per weight by type as notes.
 */
public final class GgufInspector implements ModelInspector {
    @Override public String accepts() { return "a .gguf file"; }

    @Override public boolean handles(Path path) {
        return Files.isRegularFile(path) && GgufFile.hasMagic(path);
    }

    @Override public Inspection inspect(Path path) {
        try (GgufFile g = GgufFile.open(path)) {
            GgufValue archValue = g.get("general.architecture");
            String arch = archValue != null && archValue.value() instanceof String s ? s : null;
            Map<String, Object> hyper = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("GGUF.version", String.valueOf(g.version()));
            for (Map.Entry<String, GgufValue> e : g.metadata().entrySet()) {
                metadata.put(e.getKey(), e.getValue().type() + " " + e.getValue().display());
                if (arch != null && e.getKey().startsWith(arch + ".") && !(e.getValue().value() instanceof dev.calq.formats.gguf.GgufArray))
                    hyper.put(e.getKey().substring(arch.length() + 1), e.getValue().value());
            }
            List<Inspection.TensorRow> rows = new ArrayList<>();
            Map<String, long[]> byType = new TreeMap<>();
            long params = 0;
            for (GgufTensorInfo t : g.tensors()) {
                rows.add(new Inspection.TensorRow(t.name(), t.type().name(), t.shape()));
                long[] a = byType.computeIfAbsent(t.type().name(), k -> new long[3]);
                a[0]++;
                a[1] += t.elementCount();
                a[2] += t.byteSize();
                params += t.elementCount();
            }
            List<String> notes = new ArrayList<>();
            notes.add("tensor shapes are listed outermost first (GGUF stores them reversed, ne[0] = row length)");
            for (Map.Entry<String, long[]> e : byType.entrySet()) {
                long[] a = e.getValue();
                notes.add(String.format("%s: %d tensors, %d weights, %.2f MiB, %.3f bits per weight",
                        e.getKey(), a[0], a[1], a[2] / 1048576.0, 8.0 * a[2] / Math.max(1, a[1])));
            }
            long size;
            try {
                size = Files.size(path);
            } catch (IOException e) {
                size = -1;
            }
            return new Inspection(path, "gguf", arch, hyper, params, size, List.of(path), metadata, rows, notes);
        }
    }
}
