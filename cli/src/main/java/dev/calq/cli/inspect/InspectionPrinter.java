package dev.calq.cli.inspect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.model.ModelLayout;
import dev.calq.formats.model.WeightRole;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Renders an {@link Inspection}: aligned text for people, one JSON object for machines. */
public final class InspectionPrinter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private InspectionPrinter() {}

    /** Tensors grouped as printed: non-layer tensors under key -1, then each layer in order. */
    static Map<Integer, List<Inspection.TensorRow>> byLayer(List<Inspection.TensorRow> tensors) {
        Map<Integer, List<Inspection.TensorRow>> groups = new TreeMap<>();
        for (Inspection.TensorRow t : tensors) groups.computeIfAbsent(ModelLayout.layerOf(t.name()), k -> new ArrayList<>()).add(t);
        // Within a group: known roles in model order (q, k, v, o, ...), then other names alphabetically.
        Comparator<Inspection.TensorRow> order = Comparator
                .comparingInt((Inspection.TensorRow t) -> ModelLayout.parse(t.name()).map(r -> r.role().ordinal()).orElse(WeightRole.values().length))
                .thenComparing(Inspection.TensorRow::name);
        groups.values().forEach(g -> g.sort(order));
        return groups;
    }

    public static void text(Inspection in, PrintWriter out) {
        List<String[]> head = new ArrayList<>();
        head.add(new String[] {"path", in.path().toString()});
        head.add(new String[] {"format", in.format() + " (" + in.files().size() + " file" + (in.files().size() == 1 ? "" : "s") + ")"});
        head.add(new String[] {"architecture", in.architecture() == null ? "unknown (no usable config.json)" : in.architecture()});
        for (Map.Entry<String, Object> e : in.hyperparameters().entrySet()) head.add(new String[] {"  " + e.getKey(), display(e.getValue())});
        head.add(new String[] {"parameters", String.format(Locale.ROOT, "%,d", in.parameters())});
        head.add(new String[] {"bytes on disk", String.format(Locale.ROOT, "%,d (%s)", in.bytesOnDisk(), human(in.bytesOnDisk()))});
        if (!in.metadata().isEmpty()) {
            List<String> kv = new ArrayList<>();
            in.metadata().forEach((k, v) -> kv.add(k + "=" + abbreviate(v)));
            head.add(new String[] {"metadata", String.join(", ", kv)});
        }
        head.add(new String[] {"tensors", String.format(Locale.ROOT, "%,d", in.tensors().size())});
        int w = head.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        for (String[] r : head) out.printf(Locale.ROOT, "%-" + w + "s  %s%n", r[0], r[1]);
        for (String n : in.notes()) out.println("note: " + n);

        int nameW = in.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4);
        int typeW = Math.max(5, in.tensors().stream().mapToInt(t -> t.dtype().length()).max().orElse(4));
        for (Map.Entry<Integer, List<Inspection.TensorRow>> g : byLayer(in.tensors()).entrySet()) {
            out.println();
            out.println(g.getKey() < 0 ? "non-layer tensors" : "layer " + g.getKey());
            for (Inspection.TensorRow t : g.getValue())
                out.printf(Locale.ROOT, "  %-" + nameW + "s  %-" + typeW + "s  %s%n", t.name(), t.dtype(), Arrays.toString(t.shape()));
        }
        out.flush();
    }

    public static void json(Inspection in, PrintWriter out) {
        ObjectNode root = JSON.createObjectNode();
        root.put("path", in.path().toString());
        root.put("format", in.format());
        if (in.architecture() == null) root.putNull("architecture");
        else root.put("architecture", in.architecture());
        root.set("hyperparameters", JSON.valueToTree(in.hyperparameters()));
        root.put("parameters", in.parameters());
        root.put("bytes_on_disk", in.bytesOnDisk());
        ArrayNode files = root.putArray("files");
        for (Path f : in.files()) files.add(f.toString());
        root.set("metadata", JSON.valueToTree(in.metadata()));
        ArrayNode notes = root.putArray("notes");
        in.notes().forEach(notes::add);
        ArrayNode tensors = root.putArray("tensors");
        for (Inspection.TensorRow t : in.tensors()) {
            ObjectNode o = tensors.addObject();
            o.put("name", t.name());
            o.put("dtype", t.dtype());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            int layer = ModelLayout.layerOf(t.name());
            if (layer >= 0) o.put("layer", layer);
            else o.putNull("layer");
            Optional<ModelLayout.WeightRef> ref = ModelLayout.parse(t.name());
            if (ref.isPresent()) o.put("role", ref.get().role().name());
            else o.putNull("role");
        }
        try {
            out.println(JSON.writeValueAsString(root));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    /** Integral doubles without ".0" (rope_theta 10000), others as Java prints them (1.0E-5). */
    private static String display(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
        return String.valueOf(v);
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static String abbreviate(String s) {
        String one = s.replace('\n', ' ');
        return one.length() <= 60 ? one : one.substring(0, 57) + "...";
    }
}
