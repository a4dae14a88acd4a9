package dev.calq.formats.tensor;

import java.util.Set;

/**
 * Where a model's weights come from, by Hugging Face tensor name: a safetensors folder, or a quantized checkpoint
 * (GPTQ, AWQ, GGUF) whose reader dequantizes to float32 under the original names.
 */
public interface TensorSource extends AutoCloseable {
    Set<String> names();

    boolean contains(String name);

    /** The tensor; throws {@link dev.calq.formats.CalqException} naming the file when it is absent. */
    Tensor get(String name);

    /** Metadata pairs (safetensors {@code __metadata__}); empty when the format has none. */
    default java.util.Map<String, String> metadata() { return java.util.Map.of(); }

    @Override void close();
}
