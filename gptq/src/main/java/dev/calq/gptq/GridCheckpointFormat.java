package dev.calq.gptq;

import dev.calq.calibration.quant.QuantConfig;
import dev.calq.calibration.quant.QuantizedLinear;
import dev.calq.formats.gptq.GptqQuantizationConfig;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The safetensors checkpoint layouts that hold grid-quantized layers from any method (GPTQ, RTN, AWQ): the codes,
 * scales and zero points are the same, only their packing and config differ.
 */
public enum GridCheckpointFormat {
    /** Hugging Face / AutoGPTQ GPTQ, checkpoint_format "gptq" (zero points stored minus one). */
    GPTQ,
    /** GPTQModel's checkpoint_format "gptq_v2" (true zero points). */
    GPTQ_V2,
    /** compressed-tensors "pack-quantized", as llm-compressor writes it. */
    COMPRESSED_TENSORS;

    /** Writes the checkpoint; returns one-line warnings about loaders that will not run it at full speed. */
    public List<String> write(Path modelDir, TensorSource source, Map<String, QuantizedLinear> quantized, QuantConfig cfg,
                              boolean trueSequential, long maxShardBytes, Path outDir, boolean overwrite) {
        return switch (this) {
            case GPTQ -> GptqCheckpointWriter.write(modelDir, source, quantized, cfg, trueSequential, GptqQuantizationConfig.V1,
                    maxShardBytes, outDir, overwrite);
            case GPTQ_V2 -> GptqCheckpointWriter.write(modelDir, source, quantized, cfg, trueSequential, GptqQuantizationConfig.V2,
                    maxShardBytes, outDir, overwrite);
            case COMPRESSED_TENSORS -> CompressedTensorsCheckpointWriter.write(modelDir, source, quantized, cfg, maxShardBytes, outDir, overwrite);
        };
    }
}
