package dev.calq.formats.awq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.CalqException;
import java.nio.file.Path;

/**
 * The {@code quantization_config} entry of config.json for an AWQ GEMM checkpoint, as AutoAWQ writes it
 * (AwqConfig.to_transformers_dict): quant_method "awq", zero_point, group_size, bits, version "gemm",
 * modules_to_not_convert null.
 */
public record AwqQuantizationConfig(int bits, int groupSize, boolean zeroPoint) {
    public static final String VERSION = "gemm";

    public AwqQuantizationConfig {
        if (bits != 4) throw new CalqException("the AWQ GEMM format stores 4-bit weights only, not " + bits);
        if (groupSize <= 0) throw new CalqException("the AWQ GEMM format needs a positive group size, not " + groupSize);
    }

    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode q = json.createObjectNode();
        q.put("quant_method", "awq");
        q.put("zero_point", zeroPoint);
        q.put("group_size", groupSize);
        q.put("bits", bits);
        q.put("version", VERSION);
        q.putNull("modules_to_not_convert");
        return q;
    }

    /** Reads and checks the entry of {@code config} (the parsed config.json at {@code file}). */
    public static AwqQuantizationConfig parse(JsonNode config, Path file) {
        JsonNode q = config.get("quantization_config");
        if (q == null || !q.isObject()) throw CalqException.file(file, "no quantization_config: not a quantized checkpoint");
        String method = q.path("quant_method").asText("");
        if (!method.equalsIgnoreCase("awq")) throw CalqException.file(file, "quantization_config.quant_method is '" + method + "', not 'awq'");
        String version = q.path("version").asText("gemm");
        if (!version.equalsIgnoreCase(VERSION))
            throw CalqException.file(file, "AWQ version '" + version + "' is not supported (only the GEMM layout)");
        if (!q.path("bits").canConvertToInt() || q.path("bits").asInt() != 4)
            throw CalqException.file(file, "quantization_config.bits must be 4 for AWQ GEMM, found " + q.path("bits"));
        int group = q.path("group_size").asInt(0);
        if (group <= 0) throw CalqException.file(file, "quantization_config.group_size must be positive, found " + q.path("group_size"));
        return new AwqQuantizationConfig(4, group, q.path("zero_point").asBoolean(true));
    }
}
