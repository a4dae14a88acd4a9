package dev.calq.formats.awq;

import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One linear layer quantized for the AWQ GEMM checkpoint: W[o][i] = scales[g][o] * (codes[o][i] - zeros[g][o]) with
 * g = i / groupSize (groups are contiguous; AWQ has no act-order). Scales are stored as float16, so they should
 * already be float16 values (the shared grid quantizer rounds them) for the checkpoint to hold exactly these weights.
 *
 * @param prefix  the module name, e.g. "model.layers.0.self_attn.q_proj"
 * @param codes   [out x in] 4-bit codes, row-major as the float weight
 * @param scales  [groups x out]
 * @param zeros   [groups x out] zero points in [0, 15] (8 for a symmetric grid)
 * @param bias    [out] or null
 */
public record AwqLinear(String prefix, int out, int in, int groupSize, int[] codes, float[] scales, int[] zeros, float[] bias) {
    public AwqLinear {
        if (out % AwqPacking.PACK != 0)
            throw new IllegalArgumentException(prefix + ": " + out + " output features are not a multiple of 8, which AWQ's packing needs");
        if (groupSize <= 0 || in % groupSize != 0)
            throw new IllegalArgumentException(prefix + ": " + in + " input features are not whole groups of " + groupSize);
        if (codes.length != (long) out * in) throw new IllegalArgumentException(prefix + ": " + codes.length + " codes for " + out + "x" + in);
        int groups = in / groupSize;
        if (scales.length != groups * out || zeros.length != groups * out)
            throw new IllegalArgumentException(prefix + ": scales/zeros must be " + groups + "x" + out);
        if (bias != null && bias.length != out) throw new IllegalArgumentException(prefix + ": bias of " + bias.length + " for " + out + " outputs");
    }

    public int groups() { return in / groupSize; }

    /** The float weight [out x in] the checkpoint stands for (scales taken as float16, as a loader reads them). */
    public float[] dequantize() {
        float[] w = new float[out * in];
        float[] s16 = new float[scales.length];
        for (int i = 0; i < s16.length; i++) s16[i] = Float.float16ToFloat(Float.floatToFloat16(scales[i]));
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) {
                int g = (i / groupSize) * out + o;
                w[o * in + i] = s16[g] * (float) (codes[o * in + i] - zeros[g]);
            }
        return w;
    }

    /** The checkpoint tensors: qweight, qzeros (int32), scales and bias (float16), named under the prefix. */
    public List<Tensor> tensors() {
        List<Tensor> t = new ArrayList<>(4);
        t.add(ints(prefix + ".qweight", AwqPacking.packWeight(codes, out, in), in, out / AwqPacking.PACK));
        t.add(ints(prefix + ".qzeros", AwqPacking.packRows(zeros, groups(), out), groups(), out / AwqPacking.PACK));
        t.add(halves(prefix + ".scales", scales, groups(), out));
        if (bias != null) t.add(halves(prefix + ".bias", bias, out));
        return t;
    }

    static Tensor ints(String name, int[] v, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 4]);
        for (int i = 0; i < v.length; i++) seg.set(Tensor.I32, 4L * i, v[i]);
        return new Tensor(name, DType.I32, shape, seg);
    }

    static Tensor halves(String name, float[] v, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 2]);
        for (int i = 0; i < v.length; i++) seg.set(Tensor.I16, 2L * i, Float.floatToFloat16(v[i]));
        return new Tensor(name, DType.F16, shape, seg);
    }
}
