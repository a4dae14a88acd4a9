package dev.calq.formats.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.CalqException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The "quantization_config" of a compressed-tensors checkpoint in the pack-quantized format, as llm-compressor
 * writes it for a weight-only integer scheme (W4A16, W8A16, ...): one config group targeting every Linear, integer
 * weights of {@code bits}, strategy "group" with {@code groupSize} or "channel" ({@code groupSize} -1), symmetric
 * or not, activation ordering null, "weight" or "group", and the modules left dense in "ignore".
 */
public record CompressedTensorsConfig(int bits, int groupSize, boolean sym, ActOrder actOrder, List<String> ignore) {
    public static final String QUANT_METHOD = "compressed-tensors";
    public static final String FORMAT = "pack-quantized";
    /** The compressed-tensors release whose layout this follows (written as "version"). */
    static final String VERSION = "0.10.2";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** llm-compressor's activation ordering: none, columns reordered with groups kept contiguous, or both reordered (g_idx stored). */
    public enum ActOrder {
        NONE(null), WEIGHT("weight"), GROUP("group");

        final String json;

        ActOrder(String json) { this.json = json; }
    }

    public CompressedTensorsConfig {
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("bits " + bits);
        if (groupSize != -1 && groupSize <= 0) throw new IllegalArgumentException("group size " + groupSize);
        if (actOrder != ActOrder.NONE && groupSize == -1) throw new IllegalArgumentException("activation ordering needs the group strategy");
        ignore = List.copyOf(ignore);
    }

    public String strategy() { return groupSize == -1 ? "channel" : "group"; }

    public ObjectNode toJson() {
        ObjectNode weights = JSON.createObjectNode();
        if (actOrder.json == null) weights.putNull("actorder");
        else weights.put("actorder", actOrder.json);
        weights.putNull("block_structure");
        weights.put("dynamic", false);
        if (groupSize == -1) weights.putNull("group_size");
        else weights.put("group_size", groupSize);
        weights.put("num_bits", bits);
        weights.put("observer", "minmax");
        weights.putObject("observer_kwargs");
        weights.put("strategy", strategy());
        weights.put("symmetric", sym);
        weights.put("type", "int");
        ObjectNode group = JSON.createObjectNode();
        group.putNull("input_activations");
        group.putNull("output_activations");
        group.putArray("targets").add("Linear");
        group.set("weights", weights);
        ObjectNode n = JSON.createObjectNode();
        n.putObject("config_groups").set("group_0", group);
        n.put("format", FORMAT);
        n.putNull("global_compression_ratio");
        ArrayNode ign = n.putArray("ignore");
        for (String s : ignore) ign.add(s);
        n.putNull("kv_cache_scheme");
        n.put("quant_method", QUANT_METHOD);
        n.put("quantization_status", "compressed");
        n.put("version", VERSION);
        return n;
    }

    /** Reads a quantization_config object; {@code file} names the source in messages. */
    public static CompressedTensorsConfig fromJson(JsonNode n, Path file) {
        if (n == null || !n.isObject()) throw CalqException.file(file, "no quantization_config object");
        if (!QUANT_METHOD.equals(n.path("quant_method").asText()))
            throw CalqException.file(file, "quant_method is \"" + n.path("quant_method").asText() + "\", not \"" + QUANT_METHOD + "\"");
        String format = n.path("format").asText("");
        if (!FORMAT.equals(format))
            throw CalqException.file(file, "compressed-tensors format \"" + format + "\" is not supported (calq reads \"" + FORMAT + "\")");
        String status = n.path("quantization_status").asText("compressed");
        if (!"compressed".equals(status))
            throw CalqException.file(file, "quantization_status is \"" + status + "\"; only \"compressed\" checkpoints hold packed weights");
        JsonNode groups = n.path("config_groups");
        if (!groups.isObject() || groups.size() != 1)
            throw CalqException.file(file, "calq reads compressed-tensors checkpoints with exactly one config group, found " + groups.size());
        JsonNode w = groups.elements().next().path("weights");
        if (!w.isObject()) throw CalqException.file(file, "the config group has no \"weights\" scheme");
        if (!"int".equals(w.path("type").asText("int")))
            throw CalqException.file(file, "weights type \"" + w.path("type").asText() + "\" is not supported (int)");
        JsonNode bits = w.get("num_bits");
        if (bits == null || !bits.canConvertToInt() || bits.asInt() < 1 || bits.asInt() > 8)
            throw CalqException.file(file, "weights num_bits must be an integer from 1 to 8 for pack-quantized");
        String strategy = w.path("strategy").asText("");
        int gs;
        if ("channel".equals(strategy)) gs = -1;
        else if ("group".equals(strategy)) {
            gs = w.path("group_size").asInt(0);
            if (gs <= 0) throw CalqException.file(file, "strategy \"group\" needs a positive group_size");
        } else throw CalqException.file(file, "weights strategy \"" + strategy + "\" is not supported (group or channel)");
        ActOrder order = switch (w.path("actorder").isNull() || w.path("actorder").isMissingNode() ? "" : w.path("actorder").asText()) {
            case "" , "false" -> ActOrder.NONE;
            case "weight", "static" -> ActOrder.WEIGHT;
            case "group", "dynamic", "true" -> ActOrder.GROUP;
            default -> throw CalqException.file(file, "actorder \"" + w.path("actorder").asText() + "\" is not known (weight or group)");
        };
        if (order != ActOrder.NONE && gs == -1) throw CalqException.file(file, "actorder needs strategy \"group\"");
        List<String> ignore = new ArrayList<>();
        for (JsonNode s : n.path("ignore")) ignore.add(s.asText());
        return new CompressedTensorsConfig(bits.asInt(), gs, w.path("symmetric").asBoolean(true), order, ignore);
    }
}
