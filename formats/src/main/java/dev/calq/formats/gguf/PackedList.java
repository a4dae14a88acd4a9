package dev.calq.formats.gguf;

import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * An immutable GGUF array kept in one primitive array (strings: their bytes back to back plus offsets) and boxed
 * only on access, so that a large metadata array (a vocabulary, merges, token types) costs about as much heap as it
 * takes in the file. Elements come out as the same Java types {@link GgufValue} uses for scalars.
 */
abstract sealed class PackedList extends AbstractList<Object> implements RandomAccess {
    /** Reads {@code n} elements of {@code type} (not ARRAY) from the cursor. */
    static PackedList read(GgufCursor in, GgufValueType type, long n, String key, Path file) {
        if (n > Integer.MAX_VALUE - 8) throw CalqException.file(file, "metadata " + key + " array of " + n + " elements is too large");
        int count = (int) n;
        String what = "metadata " + key + " array";
        return switch (type) {
            case STRING -> Strings.read(in, count, key, file);
            case UINT8, INT8, BOOL -> {
                byte[] b = in.slice(n, what).toArray(ValueLayout.JAVA_BYTE);
                if (type == GgufValueType.BOOL)
                    for (byte x : b) if (x != 0 && x != 1) throw CalqException.file(file, "metadata " + key + " has a BOOL that is neither 0 nor 1");
                yield new Bytes(type, b);
            }
            case UINT16, INT16 -> new Shorts(type, in.slice(2L * n, what).toArray(Tensor.I16));
            case UINT32, INT32 -> new Ints(type, in.slice(4L * n, what).toArray(Tensor.I32));
            case FLOAT32 -> new Floats(in.slice(4L * n, what).toArray(Tensor.F32));
            case UINT64, INT64 -> new Longs(in.slice(8L * n, what).toArray(Tensor.I64));
            case FLOAT64 -> new Doubles(in.slice(8L * n, what).toArray(Tensor.F64));
            case ARRAY -> throw new IllegalArgumentException("nested arrays are not packed");
        };
    }

    private static final class Bytes extends PackedList {
        private final GgufValueType type;
        private final byte[] v;

        Bytes(GgufValueType type, byte[] v) { this.type = type; this.v = v; }

        @Override public Object get(int i) {
            return switch (type) {
                case BOOL -> v[i] == 1;
                case UINT8 -> v[i] & 0xff;
                default -> (int) v[i];
            };
        }

        @Override public int size() { return v.length; }
    }

    private static final class Shorts extends PackedList {
        private final boolean unsigned;
        private final short[] v;

        Shorts(GgufValueType type, short[] v) { this.unsigned = type == GgufValueType.UINT16; this.v = v; }

        @Override public Object get(int i) { return unsigned ? v[i] & 0xffff : (int) v[i]; }

        @Override public int size() { return v.length; }
    }

    private static final class Ints extends PackedList {
        private final boolean unsigned;
        private final int[] v;

        Ints(GgufValueType type, int[] v) { this.unsigned = type == GgufValueType.UINT32; this.v = v; }

        @Override public Object get(int i) { return unsigned ? (Object) (v[i] & 0xffffffffL) : (Object) v[i]; }

        @Override public int size() { return v.length; }
    }

    private static final class Floats extends PackedList {
        private final float[] v;

        Floats(float[] v) { this.v = v; }

        @Override public Object get(int i) { return v[i]; }

        @Override public int size() { return v.length; }
    }

    private static final class Longs extends PackedList {
        private final long[] v;

        Longs(long[] v) { this.v = v; }

        @Override public Object get(int i) { return v[i]; }

        @Override public int size() { return v.length; }
    }

    private static final class Doubles extends PackedList {
        private final double[] v;

        Doubles(double[] v) { this.v = v; }

        @Override public Object get(int i) { return v[i]; }

        @Override public int size() { return v.length; }
    }

    /** UTF-8 bytes of every string back to back; string i is bytes[start[i], start[i+1]), decoded on access. */
    private static final class Strings extends PackedList {
        private final byte[] bytes;
        private final int[] start;

        private Strings(byte[] bytes, int[] start) { this.bytes = bytes; this.start = start; }

        static Strings read(GgufCursor in, int n, String key, Path file) {
            int[] start = new int[n + 1];
            long[] at = new long[n];
            long total = 0;
            // First pass: bounds of each string (an 8-byte length, then its bytes); then one exact copy.
            for (int i = 0; i < n; i++) {
                long len = in.i64();
                if (len < 0 || len > in.remaining())
                    throw CalqException.file(file, "metadata " + key + ": string length " + Long.toUnsignedString(len) + " runs past the end of the file");
                total += len;
                if (total > Integer.MAX_VALUE - 8) throw CalqException.file(file, "metadata " + key + ": strings too large for one array");
                at[i] = in.position();
                in.slice(len, "metadata " + key + " string");
                start[i + 1] = (int) total;
            }
            byte[] bytes = new byte[(int) total];
            MemorySegment dst = MemorySegment.ofArray(bytes), src = in.segment();
            for (int i = 0; i < n; i++) MemorySegment.copy(src, at[i], dst, start[i], start[i + 1] - start[i]);
            return new Strings(bytes, start);
        }

        // Lenient decoding: llama.cpp does not validate UTF-8 either, and some vocabularies hold partial sequences.
        @Override public Object get(int i) {
            java.util.Objects.checkIndex(i, size());
            return new String(bytes, start[i], start[i + 1] - start[i], StandardCharsets.UTF_8);
        }

        @Override public int size() { return start.length - 1; }
    }
}
