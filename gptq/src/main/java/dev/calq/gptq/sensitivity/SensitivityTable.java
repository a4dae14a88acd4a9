package dev.calq.gptq.sensitivity;

import dev.calq.formats.gguf.quant.GgmlType;
import java.util.List;
import java.util.Map;

/**
 * The sensitivity of every quantizable tensor of a model to every candidate type, with the substitutions that
 * calibrated the Hessian errors into KL divergence. {@link #predictedKl} adds the chosen types' predicted KL up.
 */
public record SensitivityTable(List<TensorSensitivity> tensors, List<GainPoint> gainPoints, int probePositions, double seconds) {
    public SensitivityTable {
        tensors = List.copyOf(tensors);
        gainPoints = List.copyOf(gainPoints);
    }

    public TensorSensitivity tensor(String name) {
        for (TensorSensitivity t : tensors) if (t.name().equals(name)) return t;
        return null;
    }

    /**
     * The predicted KL divergence of a file with these types (GGUF name -> type); tensors not in the table (norms) and
     * types outside a tensor's candidates (F16, F32) add nothing.
     */
    public double predictedKl(Map<String, GgmlType> types) {
        double kl = 0;
        for (TensorSensitivity t : tensors) {
            GgmlType type = types.get(t.name());
            TypeCost c = type == null ? null : t.cost(type);
            if (c != null) kl += c.predictedKl();
        }
        return kl;
    }
}
