package dev.calq.awq;

import dev.calq.calibration.model.Projection;

/**
 * The view of one decoder layer that the AWQ search needs: its projection weights (read and replace), the two norms,
 * and runs of the sub-modules on cached inputs. The calibration runner adapts its model layer to this in a few lines.
 * Weights are [out x in] row-major float32; inputs and outputs are [tokens x dim] row-major for one sample (one
 * sequence starting at position 0). Runs must use the weights as last set.
 */
public interface AwqBlock {
    enum Norm { INPUT, POST_ATTENTION }

    int hiddenSize();

    int numHeads();

    int numKvHeads();

    int headDim();

    int intermediateSize();

    float[] weight(Projection p);

    void setWeight(Projection p, float[] w);

    /** The projection's bias, or null when it has none (Llama has none; Qwen2 has q/k/v biases). */
    float[] bias(Projection p);

    void setBias(Projection p, float[] b);

    /** The RMSNorm gain vector (length hiddenSize). */
    float[] norm(Norm n);

    void setNorm(Norm n, float[] w);

    /** Self-attention, q/k/v through o_proj, on the already normed input; returns [tokens x hiddenSize]. */
    float[] runAttention(float[] normedX, int tokens);

    /** The SwiGLU MLP on the already normed input; returns [tokens x hiddenSize]. */
    float[] runMlp(float[] normedX, int tokens);

    /** One projection alone (x W^T + bias); returns [tokens x out]. */
    float[] runLinear(Projection p, float[] x, int tokens);

    default int inFeatures(Projection p) {
        return switch (p) {
            case Q, K, V, GATE, UP -> hiddenSize();
            case O -> numHeads() * headDim();
            case DOWN -> intermediateSize();
        };
    }

    default int outFeatures(Projection p) {
        return switch (p) {
            case Q -> numHeads() * headDim();
            case K, V -> numKvHeads() * headDim();
            case O, DOWN -> hiddenSize();
            case GATE, UP -> intermediateSize();
        };
    }
}
