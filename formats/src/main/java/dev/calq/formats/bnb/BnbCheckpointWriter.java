package dev.calq.formats.bnb;

import com.fasterxml.jackson.databind.JsonNode;
import dev.calq.formats.quantized.QuantizedCheckpointWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes 4-bit bitsandbytes layers (NF4/FP4) as a pre-quantized transformers checkpoint: each quantized "X.weight"
 * becomes the packed X.weight plus its quant-state tensors (double-quantized absmax by default), everything else
 * (embeddings, norms, lm_head) is copied, and config.json gets BitsAndBytesConfig's quantization_config.
 */
public final class BnbCheckpointWriter {
    private BnbCheckpointWriter() {}

    public static void write(Path modelDir, TensorSource source, Map<String, Bnb4BitLayer> layers, BnbQuantizationConfig cfg,
                             long maxShardBytes, Path outDir, boolean overwrite) {
        Map<String, Supplier<List<Tensor>>> replacements = new LinkedHashMap<>();
        for (var e : layers.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(".weight")) throw new IllegalArgumentException("not a weight name: " + name);
            Bnb4BitLayer l = e.getValue();
            if (l.type() != cfg.type()) throw new IllegalArgumentException(name + ": quantized as " + l.type() + ", the checkpoint is " + cfg.type());
            String prefix = name.substring(0, name.length() - ".weight".length());
            replacements.put(name, () -> Bnb4BitTensors.build(prefix, l, cfg.doubleQuant()));
        }
        QuantizedCheckpointWriter.write(new QuantizedCheckpointWriter.Plan(modelDir, source, replacements, cfg.toJson(),
                Map.<String, JsonNode>of(), maxShardBytes), outDir, overwrite);
    }

    /** The dtype bitsandbytes records for {@code name}: the source tensor's when it is a 16-bit float, else float32. */
    public static DType dtypeOf(TensorSource source, String name) {
        DType d = source.get(name).dtype();
        return d == DType.F16 || d == DType.BF16 ? d : DType.F32;
    }
}
