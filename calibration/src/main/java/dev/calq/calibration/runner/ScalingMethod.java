package dev.calq.calibration.runner;

import dev.calq.formats.tensor.Tensor;
import java.util.Map;

/**
 * A method that only re-parameterises each layer before another method quantizes it: AWQ's channel scales divided
 * out of the norms (or earlier projections) and multiplied into the projections' input columns, which leaves the
 * float model's function unchanged. The quantizing method that follows sees the scaled weights in the model and
 * observes the scaled inputs; its job writes the plain tensors the scaling replaced beside the quantized ones. The
 * interface lets gptq run after awq without either module importing the other.
 */
public interface ScalingMethod extends LayerMethod {
    /** The plain tensors replaced so far (scaled norms and biases) by Hugging Face name. */
    Map<String, Tensor> replacedTensors();

    /**
     * By Hugging Face weight name, the factor each input column of a scaled projection was multiplied by (its layer
     * now reads the activations divided by them). Projections left unscaled have no entry.
     */
    Map<String, float[]> inputScales();

    /**
     * Makes the scaling for a job's models: it observes and scales {@code runner} (the model the calibration runner
     * runs) and applies the same scales to {@code quantized} (the one the quantizing method reads and writes; the same
     * instance for the GPTQ checkpoints and for GPTQ inside the GGUF types under {@code --gptq-target quantized-inputs},
     * an unquantized copy run by the runner under {@code fp-inputs}).
     */
    @FunctionalInterface
    interface Factory {
        ScalingMethod create(dev.calq.calibration.model.LlamaModel runner, dev.calq.calibration.model.LlamaModel quantized);
    }

    /** The method and its options, for the resume key and the summary line. */
    String describe();

    /** What the scaling chose, one line a layer, printed after the pass. */
    String report();
}
