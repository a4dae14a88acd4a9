package dev.calq.formats.bnb;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * config.json's "quantization_config" for a pre-quantized bitsandbytes 4-bit checkpoint, as transformers'
 * BitsAndBytesConfig.to_dict writes it (and vLLM's bitsandbytes loader reads it).
 */
public record BnbQuantizationConfig(Bnb4BitType type, boolean doubleQuant, String computeDtype) {
    public static final String QUANT_METHOD = "bitsandbytes";

    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("_load_in_4bit", true);
        n.put("_load_in_8bit", false);
        n.put("bnb_4bit_compute_dtype", computeDtype);
        n.put("bnb_4bit_quant_storage", "uint8");
        n.put("bnb_4bit_quant_type", type.jsonName());
        n.put("bnb_4bit_use_double_quant", doubleQuant);
        n.put("llm_int8_enable_fp32_cpu_offload", false);
        n.put("llm_int8_has_fp16_weight", false);
        n.putNull("llm_int8_skip_modules");
        n.put("llm_int8_threshold", 6.0);
        n.put("load_in_4bit", true);
        n.put("load_in_8bit", false);
        n.put("quant_method", QUANT_METHOD);
        return n;
    }
}
