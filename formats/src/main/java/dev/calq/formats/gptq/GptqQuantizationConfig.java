package dev.calq.formats.gptq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.CalqException;
import java.nio.file.Path;

/**
 * The "quantization_config" of a GPTQ checkpoint's config.json (and the body of quantize_config.json), as
 * transformers, AutoGPTQ, GPTQModel and vLLM read it. {@code checkpointFormat} "gptq" (v1) stores zero points
 * minus one; "gptq_v2" stores them as they are.
 */
public record GptqQuantizationConfig(int bits, int groupSize, boolean descAct, boolean sym, double dampPercent,
                                     boolean staticGroups, boolean trueSequential, String checkpointFormat) {
    public static final String V1 = "gptq";
    public static final String V2 = "gptq_v2";
    private static final ObjectMapper JSON = new ObjectMapper();

    public GptqQuantizationConfig {
        if (!V1.equals(checkpointFormat) && !V2.equals(checkpointFormat))
            throw new IllegalArgumentException("checkpoint_format " + checkpointFormat);
    }

    /** How many to add to a stored zero point to get the real one. */
    public int zeroOffset() { return V1.equals(checkpointFormat) ? 1 : 0; }

    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("quant_method", "gptq");
        n.put("bits", bits);
        n.put("group_size", groupSize);
        n.put("desc_act", descAct);
        n.put("sym", sym);
        n.put("damp_percent", dampPercent);
        n.put("static_groups", staticGroups);
        n.put("true_sequential", trueSequential);
        n.put("checkpoint_format", checkpointFormat);
        return n;
    }

    /** Reads a quantization_config object; {@code file} names the source in messages. */
    public static GptqQuantizationConfig fromJson(JsonNode n, Path file) {
        if (n == null || !n.isObject()) throw CalqException.file(file, "no quantization_config object");
        String method = n.path("quant_method").asText("gptq");
        if (!"gptq".equals(method)) throw CalqException.file(file, "quant_method is \"" + method + "\", not \"gptq\"");
        JsonNode bits = n.get("bits");
        if (bits == null || !bits.canConvertToInt()) throw CalqException.file(file, "quantization_config has no integer \"bits\"");
        int b = bits.asInt();
        if (b != 2 && b != 3 && b != 4 && b != 8) throw CalqException.file(file, "GPTQ bits " + b + " is not supported (2, 3, 4 or 8)");
        int gs = n.path("group_size").asInt(-1);
        if (gs != -1 && gs <= 0) throw CalqException.file(file, "GPTQ group_size " + gs + " is invalid");
        String fmt = n.path("checkpoint_format").asText(V1);
        if (!V1.equals(fmt) && !V2.equals(fmt))
            throw CalqException.file(file, "checkpoint_format \"" + fmt + "\" is not supported (gptq or gptq_v2)");
        return new GptqQuantizationConfig(b, gs, n.path("desc_act").asBoolean(false), n.path("sym").asBoolean(true),
                n.path("damp_percent").asDouble(0.01), n.path("static_groups").asBoolean(false),
                n.path("true_sequential").asBoolean(true), fmt);
    }
}
