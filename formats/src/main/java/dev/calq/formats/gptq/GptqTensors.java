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
        t.add(halves(prefix + ".scales", scales, groups, out));
        t.add(ints(prefix + ".g_idx", gIdx, in));
        return t;
    }

    /** An F16 tensor of {@code v}, which must all be float16 values (so that nothing is rounded silently). */
    public static Tensor halves(String name, float[] v, long... shape) {
        MemorySegment half = MemorySegment.ofArray(new byte[v.length * 2]);
        for (int i = 0; i < v.length; i++) {
            short h = Float.floatToFloat16(v[i]);
            if (Float.float16ToFloat(h) != v[i]) throw new IllegalArgumentException(name + ": scale " + v[i] + " is not a float16 value");
            half.set(Tensor.I16, 2L * i, h);
        }
        return new Tensor(name, DType.F16, shape, half);
    }

    /** An I32 tensor over a copy of {@code v}. */
    public static Tensor ints(String name, int[] v, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 4]);
        MemorySegment.copy(v, 0, seg, Tensor.I32, 0, v.length);
        return new Tensor(name, DType.I32, shape, seg);
    }

    /**
     * A g_idx vector (I32 or I64 [in], every entry in [0, groups)) as ints; {@code dir} names the checkpoint in
     * messages.
     */
    public static int[] groupIndex(Tensor gi, int in, int groups, java.nio.file.Path dir) {
        if (gi.rank() != 1 || gi.dim(0) != in || (gi.dtype() != DType.I32 && gi.dtype() != DType.I64))
            throw CalqException.file(dir, gi.name() + " must be an integer vector of " + in + " entries");
        int[] g = new int[in];
        for (int i = 0; i < in; i++) {
            g[i] = gi.dtype() == DType.I32 ? gi.data().get(Tensor.I32, 4L * i) : (int) gi.data().get(Tensor.I64, 8L * i);
            if (g[i] < 0 || g[i] >= groups) throw CalqException.file(dir, gi.name() + " entry " + i + " is group " + g[i] + " of " + groups);
        }
        return g;
    }

    /** The elements of an I32 tensor. */
    public static int[] toInts(Tensor t) {
        int[] v = new int[(int) t.numel()];
        MemorySegment.copy(t.data(), Tensor.I32, 0, v, 0, v.length);
        return v;
    }
}
