package dev.calq.formats.gptq;

import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One quantized linear layer in the tensors of a GPTQ checkpoint: {@code prefix.qweight} (I32 [in*bits/32, out]),
 * {@code prefix.qzeros} (I32 [groups, out*bits/32], zero points minus the format's offset), {@code prefix.scales}
 * (F16 [groups, out]), {@code prefix.g_idx} (I32 [in]). The weight they stand for is
 * W[o][i] = scales[g][o] * (code[o][i] - zero[g][o]) with g = g_idx[i].
 */
public final class GptqTensors {
    private GptqTensors() {}

    /**
     * The four tensors of a layer. {@code codes} [out][in], {@code scales}/{@code zeros} [groups][out] (scales must
     * be float16 values), {@code gIdx} [in]; {@code zeroOffset} is 1 for checkpoint_format "gptq".
     */
    public static List<Tensor> build(String prefix, int out, int in, int bits, int[] codes, float[] scales, int[] zeros,
                                     int[] gIdx, int zeroOffset) {
        if (!GptqPacking.fillsWords(in, bits) || !GptqPacking.fillsWords(out, bits))
            throw new CalqException(prefix + ": shape [" + out + ", " + in + "] cannot be packed at " + bits
                    + " bits (input and output sizes times bits must be multiples of 32)");
        int groups = scales.length / out;
        int[] stored = new int[zeros.length];
        for (int i = 0; i < zeros.length; i++) stored[i] = zeros[i] - zeroOffset;
        List<Tensor> t = new ArrayList<>(4);
        t.add(ints(prefix + ".qweight", GptqPacking.packQweight(codes, out, in, bits), in * bits / 32, out));
        t.add(ints(prefix + ".qzeros", GptqPacking.packQzeros(stored, groups, out, bits), groups, out * bits / 32));
        MemorySegment half = MemorySegment.ofArray(new byte[scales.length * 2]);
        for (int i = 0; i < scales.length; i++) {
            short h = Float.floatToFloat16(scales[i]);
            if (Float.float16ToFloat(h) != scales[i])
                throw new IllegalArgumentException(prefix + ": scale " + scales[i] + " is not a float16 value");
            half.set(Tensor.I16, 2L * i, h);
        }
        t.add(new Tensor(prefix + ".scales", DType.F16, new long[] {groups, out}, half));
        t.add(ints(prefix + ".g_idx", gIdx, in));
        return t;
    }

    static Tensor ints(String name, int[] v, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 4]);
        MemorySegment.copy(v, 0, seg, Tensor.I32, 0, v.length);
        return new Tensor(name, DType.I32, shape, seg);
    }

    static int[] toInts(Tensor t) {
        int[] v = new int[(int) t.numel()];
        MemorySegment.copy(t.data(), Tensor.I32, 0, v, 0, v.length);
        return v;
    }
}
