package dev.calq.gptq.sensitivity;

import dev.calq.formats.gguf.quant.GgmlType;

/**
 * One single-tensor substitution measured end to end: {@code name} quantized to {@code type} alone, its Hessian error,
 * the KL divergence the whole model then had on the probe, and their ratio (the gain).
 */
public record GainPoint(String name, String kind, int layer, GgmlType type, double hessianError, double measuredKl) {
    public double gain() { return hessianError > 0 ? measuredKl / hessianError : 0; }
}
