package dev.calq.awq;

import dev.calq.calibration.model.DecoderLayer;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.CalqException;
import dev.calq.formats.awq.AwqLinear;
import dev.calq.formats.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * What a finished AWQ layer contributes to a checkpoint besides its quantized projections: the scaled norms, and
 * for the GPTQ format the scaled biases of v_proj/up_proj (the AWQ format carries them in {@link AwqLinear}).
 */
public final class AwqExport {
    private AwqExport() {}

    /** A quantized projection in the AWQ GEMM layout; {@code bias} is the block's (scaled) bias or null. */
    public static AwqLinear toAwqLinear(String prefix, QuantizedLinear q, float[] bias) {
        if (q.bits() != 4) throw new CalqException(prefix + ": the AWQ GEMM format stores 4-bit weights, not " + q.bits());
        int gs = q.groupSize() == -1 ? q.in() : q.groupSize();
        for (int c = 0; c < q.in(); c++)
            if (q.gIdx()[c] != c / gs) throw new CalqException(prefix + ": AWQ needs contiguous groups (no act-order)");
        return new AwqLinear(prefix, q.out(), q.in(), gs, q.codes(), q.scales(), q.zeros(), bias);
    }

    /**
     * The float tensors that AWQ changed outside the quantized weights of {@code layer}: input_layernorm and
     * post_attention_layernorm (float32, the folded scales exact), and with {@code withBiases} the biases of the
     * projections whose rows were scaled (v_proj, up_proj), which a GPTQ checkpoint stores as plain tensors.
     */
    public static List<Tensor> scaledTensors(int layer, AwqBlock block, boolean withBiases) {
        List<Tensor> out = new ArrayList<>();
        String p = "model.layers." + layer + ".";
        float[] n1 = block.norm(AwqBlock.Norm.INPUT).clone(), n2 = block.norm(AwqBlock.Norm.POST_ATTENTION).clone();
        out.add(Tensor.ofFloats(p + "input_layernorm.weight", n1, n1.length));
        out.add(Tensor.ofFloats(p + "post_attention_layernorm.weight", n2, n2.length));
        if (withBiases) {
            for (Projection proj : List.of(Projection.V, Projection.UP)) {
                float[] b = block.bias(proj);
                if (b != null) out.add(Tensor.ofFloats(proj.biasName(layer), b.clone(), b.length));
            }
        }
        return out;
    }

    /**
     * The live float array in the model's layer that a saved scaled tensor of {@link #scaledTensors} restores into
     * (a norm gain or a v_proj/up_proj bias), or null when {@code name} is none of them.
     */
    public static float[] liveTensor(DecoderLayer dl, int layer, String name) {
        return name.endsWith("input_layernorm.weight") ? dl.inputNorm().weight()
                : name.endsWith("post_attention_layernorm.weight") ? dl.postAttentionNorm().weight()
                : name.equals(Projection.V.biasName(layer)) ? dl.linear(Projection.V).bias()
                : name.equals(Projection.UP.biasName(layer)) ? dl.linear(Projection.UP).bias() : null;
    }
}
