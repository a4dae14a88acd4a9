package dev.calq.formats.compressed;

import dev.calq.formats.gptq.GptqTensors;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One quantized linear layer in the tensors of a pack-quantized checkpoint, as compressed-tensors' packed compressor
 * writes it: {@code prefix.weight_packed} (I32 [out, ceil(in / (32/bits))], codes packed along the input dimension),
 * {@code prefix.weight_scale} ([out, groups], float), {@code prefix.weight_zero_point} (I32 [ceil(out / (32/bits)),
 * groups], packed along the output dimension; only when asymmetric), {@code prefix.weight_shape} (I64 [2] = {out,
 * in}) and, with group activation ordering, {@code prefix.weight_g_idx} (I32 [in]). The stored codes are the signed
 * codes plus 2^(bits-1), which are exactly calq's unsigned grid codes; the weight is
 * W[o][i] = scale[o][g] * (code[o][i] - zero[o][g]), with zero 2^(bits-1) when symmetric.
 */
public final class PackQuantizedTensors {
    public static final String PACKED = ".weight_packed";
    public static final String SCALE = ".weight_scale";
    public static final String ZERO_POINT = ".weight_zero_point";
    public static final String SHAPE = ".weight_shape";
    public static final String G_IDX = ".weight_g_idx";

    private PackQuantizedTensors() {}

    /**
     * The tensors of a layer. {@code codes} [out][in] unsigned, {@code scales}/{@code zeros} [groups][out] (calq's
     * layout; scales must be float16 values, written as F16), {@code gIdx} [in] or null when the groups are
     * contiguous. When {@code sym} every zero must be 2^(bits-1), the zero loaders assume.
     */
    public static List<Tensor> build(String prefix, int out, int in, int bits, int[] codes, float[] scales, int[] zeros,
                                     int[] gIdx, boolean sym) {
        int groups = scales.length / out;
        int offset = 1 << (bits - 1);
        float[] scaleT = new float[out * groups];
        int[] zeroT = new int[out * groups];
        for (int g = 0; g < groups; g++)
            for (int o = 0; o < out; o++) {
                scaleT[o * groups + g] = scales[g * out + o];
                zeroT[o * groups + g] = zeros[g * out + o];
                if (sym && zeros[g * out + o] != offset)
                    throw new IllegalArgumentException(prefix + ": symmetric layer has zero point " + zeros[g * out + o] + ", not " + offset);
            }
        List<Tensor> t = new ArrayList<>(5);
        t.add(GptqTensors.ints(prefix + PACKED, PackQuantizedPacking.packRows(codes, out, in, bits), out, PackQuantizedPacking.words(in, bits)));
        t.add(GptqTensors.halves(prefix + SCALE, scaleT, out, groups));
        if (!sym)
            t.add(GptqTensors.ints(prefix + ZERO_POINT, PackQuantizedPacking.packColumns(zeroT, out, groups, bits), PackQuantizedPacking.words(out, bits), groups));
        MemorySegment shape = MemorySegment.ofArray(new byte[16]);
        shape.set(Tensor.I64, 0, out);
        shape.set(Tensor.I64, 8, in);
        t.add(new Tensor(prefix + SHAPE, DType.I64, new long[] {2}, shape));
        if (gIdx != null) t.add(GptqTensors.ints(prefix + G_IDX, gIdx, in));
        return t;
    }
}
