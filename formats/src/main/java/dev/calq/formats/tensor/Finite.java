package dev.calq.formats.tensor;

import dev.calq.formats.CalqException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Finiteness checks applied once, where weights and importances enter calq: a NaN or an infinity in a weight makes
 * every later number NaN (a perplexity of NaN, a quantized file of garbage), so it is an input error that names the
 * file, the tensor and the element. The scan tests the exponent bits of the stored encoding, so a BF16 or F16 tensor
 * is checked without widening it.
 */
public final class Finite {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Finite() {}

    /** Throws "ORIGIN: tensor NAME has VALUE at row R, column C" for the first non-finite element of a float tensor. */
    public static void check(Tensor t, String origin) {
        long i = firstNonFinite(t);
        if (i >= 0) throw new CalqException(origin + ": tensor " + t.name() + " has " + describe(t.getFloat(i)) + " at " + position(t.shape(), i));
    }

    /** The same check for values already in an array (row length {@code columns}); {@code what} names them. */
    public static void check(float[] values, int columns, String origin, String what) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i]))
                throw new CalqException(origin + ": " + what + " has " + describe(values[i]) + " at "
                        + (columns <= 0 || columns >= values.length ? "index " + i : "row " + i / columns + ", column " + i % columns));
        }
    }

    /** Flat index of the first NaN or infinite element, or -1; non-float dtypes have none. */
    static long firstNonFinite(Tensor t) {
        MemorySegment d = t.data();
        long n = t.numel();
        switch (t.dtype()) {
            case F32 -> {
                for (long i = 0; i < n; i++) if ((d.get(I32, i * 4) & 0x7F800000) == 0x7F800000) return i;
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) if ((d.get(I16, i * 2) & 0x7F80) == 0x7F80) return i;
            }
            case F16 -> {
                for (long i = 0; i < n; i++) if ((d.get(I16, i * 2) & 0x7C00) == 0x7C00) return i;
            }
            case F64 -> {
                for (long i = 0; i < n; i++) if ((d.get(I64, i * 8) & 0x7FF0000000000000L) == 0x7FF0000000000000L) return i;
            }
            default -> { }
        }
        return -1;
    }

    private static String describe(float v) { return Float.isNaN(v) ? "a NaN" : "an infinity (" + v + ")"; }

    /** "row R, column C" for a matrix (the last axis is the column), "index I" for a vector. */
    static String position(long[] shape, long flat) {
        if (shape.length < 2) return "index " + flat;
        long cols = shape[shape.length - 1];
        return "row " + flat / cols + ", column " + flat % cols;
    }
}
