package dev.calq.cli.inspect;

import dev.calq.formats.CalqException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The dispatch of {@code calq inspect}: the first inspector that handles a path reads it. To support a new format,
 * add its inspector here, before the more general ones it overlaps with (the safetensors inspector is the fallback
 * for folders).
 */
public final class Inspectors {
    private static final List<ModelInspector> ALL = new ArrayList<>(List.of(new GgufInspector(), new SafetensorsInspector()));

    private Inspectors() {}

    /** All inspectors, most specific first. */
    public static List<ModelInspector> all() { return List.copyOf(ALL); }

    /** Registers an inspector ahead of the existing ones (so that it wins over the general fallbacks). */
    public static synchronized void registerFirst(ModelInspector inspector) { ALL.addFirst(inspector); }

    public static Inspection inspect(Path path) {
        if (!Files.exists(path)) throw CalqException.file(path, "not found");
        for (ModelInspector i : ALL) if (i.handles(path)) return i.inspect(path);
        throw CalqException.file(path, "not a model calq can inspect (expected "
                + ALL.stream().map(ModelInspector::accepts).collect(Collectors.joining(", ")) + ")");
    }
}
