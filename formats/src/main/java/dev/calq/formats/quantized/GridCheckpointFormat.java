package dev.calq.formats.quantized;

import dev.calq.formats.compressed.CompressedTensorsCheckpointWriter;
import dev.calq.formats.gptq.GptqCheckpointWriter;
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

    /**
     * Writes the checkpoint; returns one-line warnings about loaders that will not run it at full speed. {@code qc}
     * describes the run (bits, group size, symmetry, act-order...); its checkpoint_format is replaced by this layout's.
     */
    public List<String> write(Path modelDir, TensorSource source, Map<String, QuantizedLinear> quantized, GptqQuantizationConfig qc,
                              long maxShardBytes, Path outDir, boolean overwrite) {
        return switch (this) {
            case GPTQ -> GptqCheckpointWriter.write(modelDir, source, quantized, withFormat(qc, GptqQuantizationConfig.V1),
                    maxShardBytes, outDir, overwrite);
            case GPTQ_V2 -> GptqCheckpointWriter.write(modelDir, source, quantized, withFormat(qc, GptqQuantizationConfig.V2),
                    maxShardBytes, outDir, overwrite);
            case COMPRESSED_TENSORS -> CompressedTensorsCheckpointWriter.write(modelDir, source, quantized, qc.bits(), qc.groupSize(),
                    qc.sym(), qc.descAct(), maxShardBytes, outDir, overwrite);
        };
    }

    private static GptqQuantizationConfig withFormat(GptqQuantizationConfig qc, String format) {
        return new GptqQuantizationConfig(qc.bits(), qc.groupSize(), qc.descAct(), qc.sym(), qc.dampPercent(), qc.staticGroups(),
                qc.trueSequential(), format);
    }
}
