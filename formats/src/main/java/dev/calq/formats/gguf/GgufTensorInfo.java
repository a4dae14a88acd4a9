package dev.calq.formats.gguf;

import dev.calq.formats.gguf.quant.GgmlType;
import java.util.Arrays;

/**
 * A tensor's entry in a GGUF file: name, element type and dims in ggml order ({@code ne[0]} is the contiguous axis,
 * the reverse of PyTorch's shape), and the byte offset of its data from the start of the data section.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long offset) {
    public GgufTensorInfo {
        ne = ne.clone();
    }

    @Override public long[] ne() { return ne.clone(); }

    public long ne(int axis) { return axis < ne.length ? ne[axis] : 1; }

    public int nDims() { return ne.length; }

    public long elementCount() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** Bytes of data: whole blocks along ne[0], rows for the other dims. */
    public long byteSize() { return byteSize(type, ne); }

    public static long byteSize(GgmlType type, long[] ne) {
        long rows = 1;
        for (int i = 1; i < ne.length; i++) rows *= ne[i];
        long n0 = ne.length == 0 ? 1 : ne[0];
        return n0 / type.blockSize() * type.typeSize() * rows;
    }

    /** The PyTorch-order shape (outermost first). */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    @Override public String toString() { return name + " " + type + " " + Arrays.toString(ne); }

    @Override public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && t.name.equals(name) && t.type == type && Arrays.equals(t.ne, ne) && t.offset == offset;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(ne); }
}
