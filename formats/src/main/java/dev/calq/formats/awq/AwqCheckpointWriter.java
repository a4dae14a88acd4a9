package dev.calq.formats.awq;

import dev.calq.formats.CalqException;
import dev.calq.formats.quantized.QuantizedCheckpointWriter;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Collects the pieces of an AWQ GEMM checkpoint as the layers finish and writes the folder through the shared
 * quantized-checkpoint writer (atomic: nothing appears under the output name unless complete). A layer is packed
 * when added, so only the packed int32/float16 tensors are held (about 0.56 bytes a weight), not its codes.
 */
public final class AwqCheckpointWriter {
    private final Path modelDir;
    private final TensorSource source;
    private final AwqQuantizationConfig config;
    private final Map<String, Supplier<List<Tensor>>> replacements = new LinkedHashMap<>();

    /** @param modelDir the source model folder (config.json and tokenizer files are taken from it) */
    public AwqCheckpointWriter(Path modelDir, TensorSource source, AwqQuantizationConfig config) {
        this.modelDir = modelDir;
        this.source = source;
        this.config = config;
    }

    /** A quantized linear layer: {@code prefix.weight} becomes qweight/qzeros/scales, {@code prefix.bias} float16. */
    public void add(AwqLinear layer) {
        if (layer.groupSize() != config.groupSize() && layer.groups() != 1)
            throw new IllegalArgumentException(layer.prefix() + ": group size " + layer.groupSize() + ", the checkpoint's is " + config.groupSize());
        List<Tensor> tensors = layer.tensors();
        String weight = layer.prefix() + ".weight";
        put(weight, tensors.stream().filter(t -> !t.name().endsWith(".bias")).toList());
        if (layer.bias() != null) {
            String bias = layer.prefix() + ".bias";
            if (!source.contains(bias)) throw CalqException.file(modelDir, "has no tensor " + bias + " for the quantized layer's bias");
            put(bias, tensors.stream().filter(t -> t.name().equals(bias)).toList());
        }
    }

    /** A float tensor written instead of the source's tensor of the same name (AWQ's scaled norms). */
    public void replace(Tensor tensor) {
        if (!source.contains(tensor.name())) throw CalqException.file(modelDir, "has no tensor " + tensor.name() + " to replace");
        put(tensor.name(), List.of(tensor));
    }

    private void put(String name, List<Tensor> tensors) {
        if (replacements.putIfAbsent(name, () -> tensors) != null) throw new IllegalArgumentException(name + " added twice");
    }

    public void write(Path outDir, boolean overwrite, long maxShardBytes) {
        QuantizedCheckpointWriter.write(new QuantizedCheckpointWriter.Plan(modelDir, source, replacements,
                config.toJson(new com.fasterxml.jackson.databind.ObjectMapper()), Map.of(), maxShardBytes), outDir, overwrite);
    }
}
