package dev.calq.cli.inspect;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code calq inspect} reports about a model, whatever its format: each {@link ModelInspector} fills one in and
 * {@link InspectionPrinter} renders it as text or JSON.
 *
 * @param format          e.g. "safetensors", "gguf", "gptq"
 * @param architecture    the Hugging Face class (LlamaForCausalLM), or null when unknown
 * @param hyperparameters config values under their config.json names, in display order
 * @param parameters      number of model parameters (logical weights, not packed storage)
 * @param bytesOnDisk     size of the weight files
 * @param files           the files read
 * @param metadata        format metadata (safetensors __metadata__, GGUF key/values, quantization settings)
 * @param tensors         every stored tensor, in file order
 * @param notes           problems or remarks worth a line each (e.g. tensors the config does not explain)
 */
public record Inspection(Path path, String format, String architecture, Map<String, Object> hyperparameters,
                         long parameters, long bytesOnDisk, List<Path> files, Map<String, String> metadata,
                         List<TensorRow> tensors, List<String> notes) {

    /** One stored tensor; {@code dtype} is the format's own type name (BF16, Q4_K, I32 ...). */
    public record TensorRow(String name, String dtype, long[] shape) {
        public TensorRow {
            shape = shape.clone();
        }

        @Override public long[] shape() { return shape.clone(); }
    }
}
