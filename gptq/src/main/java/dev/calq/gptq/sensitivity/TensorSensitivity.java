package dev.calq.gptq.sensitivity;

import java.util.List;

/**
 * One quantizable tensor's sensitivity: its GGUF name, kind (attn_q, ffn_down, output, ...), layer (-1 outside the
 * decoder layers), shape [rows x cols], the gain turning its Hessian error into KL divergence (NaN when every type
 * was measured end to end), and the cost of every candidate type, cheapest first.
 */
public record TensorSensitivity(String name, String kind, int layer, int rows, int cols, double gain, List<TypeCost> costs) {
    public TensorSensitivity {
        costs = List.copyOf(costs);
    }

    public long elements() { return (long) rows * cols; }

    /** The cost of {@code type}, or null when it is not a candidate for this tensor. */
    public TypeCost cost(dev.calq.formats.gguf.quant.GgmlType type) {
        for (TypeCost c : costs) if (c.type() == type) return c;
        return null;
    }
}
