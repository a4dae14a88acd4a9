package dev.calq.cli;

import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.GgufValue;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/** The GGUF part of {@code calq inspect}: metadata (arrays abbreviated), tensors and a size summary by type. */
final class GgufInspector {
    private GgufInspector() {}

    static boolean isGguf(Path file) {
        return Files.isRegularFile(file) && GgufFile.hasMagic(file);
    }

    static void print(Path file, PrintWriter out, boolean listTensors) {
        try (GgufFile g = GgufFile.open(file)) {
            out.printf("%s: GGUF v%d, %d metadata keys, %d tensors, alignment %d, data at byte %d%n",
                    file, g.version(), g.metadata().size(), g.tensors().size(), g.alignment(), g.dataOffset());
            out.println("metadata:");
            for (Map.Entry<String, GgufValue> e : g.metadata().entrySet())
                out.printf("  %-45s %-8s %s%n", e.getKey(), e.getValue().type(), e.getValue().display());
            Map<String, long[]> byType = new TreeMap<>();
            long elements = 0, bytes = 0;
            if (listTensors) out.println("tensors:");
            for (GgufTensorInfo t : g.tensors()) {
                if (listTensors) out.printf("  %-40s %-8s ne=%-24s %12d bytes%n", t.name(), t.type().name(), Arrays.toString(t.ne()), t.byteSize());
                long[] a = byType.computeIfAbsent(t.type().name(), k -> new long[3]);
                a[0]++;
                a[1] += t.elementCount();
                a[2] += t.byteSize();
                elements += t.elementCount();
                bytes += t.byteSize();
            }
            out.println("by type:");
            for (Map.Entry<String, long[]> e : byType.entrySet()) {
                long[] a = e.getValue();
                out.printf("  %-8s %5d tensors %14d weights %10.2f MiB %7.3f bpw%n", e.getKey(), a[0], a[1], a[2] / 1048576.0, 8.0 * a[2] / Math.max(1, a[1]));
            }
            out.printf("  %-8s %5d tensors %14d weights %10.2f MiB %7.3f bpw%n", "total", g.tensors().size(), elements, bytes / 1048576.0, 8.0 * bytes / Math.max(1, elements));
            out.flush();
        }
    }
}
