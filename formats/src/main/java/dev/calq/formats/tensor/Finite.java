package dev.calq.formats.tensor;

import dev.calq.formats.CalqException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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
        return switch (t.dtype()) {
            case F32 -> firstAllOnes32(d, n, 0x7F800000);
            case BF16 -> firstAllOnes16(d, n, (short) 0x7F80);
            case F16 -> firstAllOnes16(d, n, (short) 0x7C00);
            case F64 -> {
                for (long i = 0; i < n; i++) if ((d.get(I64, i * 8) & 0x7FF0000000000000L) == 0x7FF0000000000000L) yield i;
                yield -1;
            }
            default -> -1;
        };
    }

    // A model's weights are scanned once at load (1.2 G bf16 values for a 1B model): a vector at a time, and only a
    // vector with a hit is searched element by element.
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> S32 = IntVector.SPECIES_PREFERRED;

    /** First i < n whose 16-bit value has every bit of {@code exponent} set (an infinity or NaN), or -1. */
    private static long firstAllOnes16(MemorySegment d, long n, short exponent) {
        int lanes = S16.length();
        long i = 0;
        for (; i + lanes <= n; i += lanes) {
            ShortVector v = ShortVector.fromMemorySegment(S16, d, 2 * i, ByteOrder.LITTLE_ENDIAN);
            if (v.and(exponent).compare(VectorOperators.EQ, exponent).anyTrue()) break;
        }
        for (; i < n; i++) if ((d.get(I16, i * 2) & exponent) == exponent) return i;
        return -1;
    }

    /** The same for 32-bit values. */
    private static long firstAllOnes32(MemorySegment d, long n, int exponent) {
        int lanes = S32.length();
        long i = 0;
        for (; i + lanes <= n; i += lanes) {
            IntVector v = IntVector.fromMemorySegment(S32, d, 4 * i, ByteOrder.LITTLE_ENDIAN);
            if (v.and(exponent).compare(VectorOperators.EQ, exponent).anyTrue()) break;
        }
        for (; i < n; i++) if ((d.get(I32, i * 4) & exponent) == exponent) return i;
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
