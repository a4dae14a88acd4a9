package dev.calq.formats.quantized;

import dev.calq.formats.CalqException;
import dev.calq.formats.awq.AwqCheckpoint;
import dev.calq.formats.awq.AwqLinear;
import dev.calq.formats.compressed.CompressedTensorsCheckpoint;
import dev.calq.formats.compressed.CompressedTensorsConfig;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.gptq.GptqQuantizationConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves the layers of an existing grid checkpoint (GPTQ v1/v2, AWQ GEMM, compressed-tensors) into another grid
 * layout without quantizing again: codes, scales and zero points are carried over unchanged, so the new checkpoint
 * holds exactly the same weights.
 */
public final class CheckpointRepack {
    private CheckpointRepack() {}

    /** Writes {@code in}'s layers to {@code out} in {@code format}; returns the writer's warnings. */
    public static List<String> repack(Path in, GridCheckpointFormat format, long maxShardBytes, Path out, boolean overwrite) {
        String method = QuantMethod.of(in);
        Map<String, QuantizedLinear> layers = new LinkedHashMap<>();
        switch (method == null ? "" : method) {
            case "gptq" -> {
                try (GptqCheckpoint ck = GptqCheckpoint.open(in)) {
                    GptqQuantizationConfig c = ck.config();
                    for (String p : ck.quantizedLayers()) layers.put(p + ".weight", toLinear(ck.layer(p), c.groupSize(), c.sym()));
                    return format.write(in, ck, layers, c, maxShardBytes, out, overwrite);
                }
            }
            case "awq" -> {
                try (AwqCheckpoint ck = AwqCheckpoint.open(in)) {
                    // AWQ records no GPTQ options: the defaults (damping 0.01, no act-order), as a plain GPTQ run would.
                    GptqQuantizationConfig cfg = new GptqQuantizationConfig(4, ck.config().groupSize(), false, !ck.config().zeroPoint(),
                            0.01, false, false, GptqQuantizationConfig.V1);
                    for (String p : ck.quantizedModules()) {
                        AwqLinear a = ck.read(p);
                        int[] gIdx = new int[a.in()];
                        for (int i = 0; i < a.in(); i++) gIdx[i] = i / a.groupSize();
                        layers.put(p + ".weight", new QuantizedLinear(a.out(), a.in(), 4, cfg.groupSize(), cfg.sym(), a.codes(), a.scales(), a.zeros(), gIdx));
                    }
                    return format.write(in, ck, layers, cfg, maxShardBytes, out, overwrite);
                }
            }
            case CompressedTensorsConfig.QUANT_METHOD -> {
                try (CompressedTensorsCheckpoint ck = CompressedTensorsCheckpoint.open(in)) {
                    CompressedTensorsConfig c = ck.config();
                    GptqQuantizationConfig cfg = new GptqQuantizationConfig(c.bits(), c.groupSize(),
                            c.actOrder() != CompressedTensorsConfig.ActOrder.NONE, c.sym(), 0.01,
                            c.actOrder() == CompressedTensorsConfig.ActOrder.WEIGHT, true, GptqQuantizationConfig.V1);
                    for (String p : ck.quantizedLayers()) layers.put(p + ".weight", toLinear(ck.layer(p), c.groupSize(), c.sym()));
                    return format.write(in, ck, layers, cfg, maxShardBytes, out, overwrite);
                }
            }
            default -> throw CalqException.file(in, "is not a GPTQ, AWQ or compressed-tensors checkpoint (quantization_config.quant_method is "
                    + (method == null ? "missing" : "\"" + method + "\"") + ")");
        }
    }

    private static QuantizedLinear toLinear(GptqCheckpoint.Layer l, int groupSize, boolean sym) {
        return new QuantizedLinear(l.out(), l.in(), l.bits(), groupSize, sym, l.codes(), l.scales(), l.zeros(), l.gIdx());
    }

    /** config.json's quantization_config.quant_method, or null. */
    static final class QuantMethod {
        static String of(Path dir) {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile())
                        .path("quantization_config").path("quant_method").asText(null);
            } catch (java.io.IOException e) {
                throw CalqException.file(dir.resolve("config.json"), "cannot be read: " + e.getMessage());
            }
        }
    }
}
