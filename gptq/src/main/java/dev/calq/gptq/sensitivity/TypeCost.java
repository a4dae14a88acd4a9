package dev.calq.gptq.sensitivity;

import dev.calq.formats.gguf.quant.GgmlType;

/**
 * What one ggml type costs one tensor: its bytes, the Hessian-weighted output error tr(dW H dW^T) of the codec's
 * dequantized weight (NaN where the error was measured end to end instead), that error relative to tr(W H W^T),
 * and the KL divergence it is predicted to add to the model's.
 */
public record TypeCost(GgmlType type, long bytes, double hessianError, double relativeError, double predictedKl) {}
