package dev.calq.calibration.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.awq.AwqCheckpoint;
import dev.calq.formats.bnb.BnbCheckpoint;
import dev.calq.formats.bnb.BnbQuantizationConfig;
import dev.calq.formats.compressed.CompressedTensorsCheckpoint;
import dev.calq.formats.compressed.CompressedTensorsConfig;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.tensor.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A GPTQ, AWQ, compressed-tensors or bitsandbytes 4-bit checkpoint folder (config.json's quantization_config names the method): its packed weights are
 * dequantized to float under the original names, so quality is measured on exactly what was written.
 */
final class QuantizedFolderReader implements ModelReader {
    @Override public boolean accepts(Path path) {
        String method = quantMethod(path);
        return "gptq".equals(method) || "awq".equals(method) || CompressedTensorsConfig.QUANT_METHOD.equals(method)
                || BnbQuantizationConfig.QUANT_METHOD.equals(method);
    }

    @Override public LoadedModel open(Path dir) {
        ModelConfig config = ModelConfig.load(dir);
        String method = quantMethod(dir);
        TensorSource weights = switch (method) {
            case "gptq" -> GptqCheckpoint.open(dir);
            case "awq" -> AwqCheckpoint.open(dir);
            case BnbQuantizationConfig.QUANT_METHOD -> BnbCheckpoint.open(dir);
            default -> CompressedTensorsCheckpoint.open(dir);
        };
        return new LoadedModel(dir, config, weights, dir, method);
    }

    private static String quantMethod(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) return null;
        try {
            return new ObjectMapper().readTree(cfg.toFile()).path("quantization_config").path("quant_method").asText(null);
        } catch (IOException e) {
            return null; // the safetensors reader reports the bad JSON
        }
    }
}
