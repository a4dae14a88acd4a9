package dev.calq.formats.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named tensor: element type, shape (row-major, last axis contiguous, as in PyTorch) and little-endian data.
 * The data is usually a view into a memory-mapped file; nothing is copied until a caller asks for floats.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        shape = shape.clone();
    }

    /** A float32 tensor over a heap array (used for dequantized and computed weights). */
    public static Tensor ofFloats(String name, float[] values, long... shape) {
        if (numel(shape) != values.length)
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + Arrays.toString(shape));
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        MemorySegment.copy(values, 0, seg, F32, 0, values.length);
        return new Tensor(name, DType.F32, shape, seg);
    }

    @Override public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long dim(int axis) { return shape[axis < 0 ? shape.length + axis : axis]; }

    public long numel() { return numel(shape); }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Element {@code i} (flat index) as a float, for float dtypes. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.get(F32, i * 4);
            case F16 -> Float.float16ToFloat(data.get(I16, i * 2));
            case BF16 -> Float.intBitsToFloat((data.get(I16, i * 2) & 0xffff) << 16);
            case F64 -> (float) data.get(F64, i * 8);
            default -> throw new IllegalStateException(name + ": " + dtype + " is not a float type");
        };
    }

    /** All elements as float32 (a copy). BF16 and F16 are widened exactly. */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException(name + ": too large for one float array");
        float[] out = new float[(int) n];
        copyFloats(0, out, 0, out.length);
        return out;
    }

    /** Copies {@code count} elements starting at flat index {@code from} into {@code dst} as float32. */
    public void copyFloats(long from, float[] dst, int dstOffset, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, from * 4, dst, dstOffset, count);
            case BF16, F16 -> HalfFloats.toFloat(dtype, data, from * 2, dst, dstOffset, count);
            default -> {
                for (int i = 0; i < count; i++) dst[dstOffset + i] = getFloat(from + i);
            }
        }
    }
}
