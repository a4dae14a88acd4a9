package dev.calq.gptq;

import dev.calq.calibration.quant.QuantConfig;
import dev.calq.calibration.quant.QuantizedLinear;
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
                    QuantConfig cfg = QuantConfig.defaults().withBits(c.bits()).withGroupSize(c.groupSize()).withSym(c.sym())
                            .withActOrder(c.descAct()).withStaticGroups(c.staticGroups()).withDamp(c.dampPercent());
                    for (String p : ck.quantizedLayers()) layers.put(p + ".weight", toLinear(ck.layer(p), cfg));
                    return format.write(in, ck, layers, cfg, c.trueSequential(), maxShardBytes, out, overwrite);
                }
            }
            case "awq" -> {
                try (AwqCheckpoint ck = AwqCheckpoint.open(in)) {
                    QuantConfig cfg = QuantConfig.defaults().withBits(4).withGroupSize(ck.config().groupSize()).withSym(!ck.config().zeroPoint());
                    for (String p : ck.quantizedModules()) {
                        AwqLinear a = ck.read(p);
                        int[] gIdx = new int[a.in()];
                        for (int i = 0; i < a.in(); i++) gIdx[i] = i / a.groupSize();
                        layers.put(p + ".weight", new QuantizedLinear(a.out(), a.in(), 4, cfg.groupSize(), cfg.sym(), a.codes(), a.scales(), a.zeros(), gIdx));
                    }
                    return format.write(in, ck, layers, cfg, false, maxShardBytes, out, overwrite);
                }
            }
            case CompressedTensorsConfig.QUANT_METHOD -> {
                try (CompressedTensorsCheckpoint ck = CompressedTensorsCheckpoint.open(in)) {
                    CompressedTensorsConfig c = ck.config();
                    QuantConfig cfg = QuantConfig.defaults().withBits(c.bits()).withGroupSize(c.groupSize()).withSym(c.sym())
                            .withActOrder(c.actOrder() != CompressedTensorsConfig.ActOrder.NONE)
                            .withStaticGroups(c.actOrder() == CompressedTensorsConfig.ActOrder.WEIGHT);
                    for (String p : ck.quantizedLayers()) layers.put(p + ".weight", toLinear(ck.layer(p), cfg));
                    return format.write(in, ck, layers, cfg, true, maxShardBytes, out, overwrite);
                }
            }
            default -> throw CalqException.file(in, "is not a GPTQ, AWQ or compressed-tensors checkpoint (quantization_config.quant_method is "
                    + (method == null ? "missing" : "\"" + method + "\"") + ")");
        }
    }

    private static QuantizedLinear toLinear(GptqCheckpoint.Layer l, QuantConfig cfg) {
        return new QuantizedLinear(l.out(), l.in(), l.bits(), cfg.groupSize(), cfg.sym(), l.codes(), l.scales(), l.zeros(), l.gIdx());
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
