package dev.calq.formats.gguf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One metadata value with its exact GGUF type, so that a file read and written again keeps every type.
 * Java representation: UINT8, INT8, UINT16, INT16, INT32 as Integer (unsigned ones non-negative); UINT32, INT64 and
 * UINT64 as Long (UINT64 keeps its 64 bits); FLOAT32 Float; FLOAT64 Double; BOOL Boolean; STRING String;
 * ARRAY {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {
    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        checkKind(type, value);
    }

    static void checkKind(GgufValueType type, Object value) {
        boolean ok = switch (type) {
            case UINT8 -> value instanceof Integer i && i >= 0 && i <= 0xff;
            case INT8 -> value instanceof Integer i && i >= Byte.MIN_VALUE && i <= Byte.MAX_VALUE;
            case UINT16 -> value instanceof Integer i && i >= 0 && i <= 0xffff;
            case INT16 -> value instanceof Integer i && i >= Short.MIN_VALUE && i <= Short.MAX_VALUE;
            case INT32 -> value instanceof Integer;
            case UINT32 -> value instanceof Long l && l >= 0 && l <= 0xffffffffL;
            case INT64, UINT64 -> value instanceof Long;
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> value instanceof GgufArray;
        };
        if (!ok) throw new IllegalArgumentException("value " + value + " (" + value.getClass().getSimpleName() + ") does not fit GGUF type " + type);
    }

    public static GgufValue u32(long v) { return new GgufValue(GgufValueType.UINT32, v); }

    public static GgufValue i32(int v) { return new GgufValue(GgufValueType.INT32, v); }

    public static GgufValue u64(long v) { return new GgufValue(GgufValueType.UINT64, v); }

    public static GgufValue f32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }

    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }

    public static GgufValue string(String v) { return new GgufValue(GgufValueType.STRING, v); }

    public static GgufValue array(GgufValueType elementType, List<?> items) {
        for (Object o : items) checkKind(elementType, o);
        return new GgufValue(GgufValueType.ARRAY, new GgufArray(elementType, items));
    }

    public static GgufValue strings(List<String> items) { return array(GgufValueType.STRING, items); }

    public static GgufValue floats(float[] items) {
        List<Float> l = new ArrayList<>(items.length);
        for (float f : items) l.add(f);
        return array(GgufValueType.FLOAT32, l);
    }

    public static GgufValue int32s(int[] items) {
        List<Integer> l = new ArrayList<>(items.length);
        for (int i : items) l.add(i);
        return array(GgufValueType.INT32, l);
    }

    public GgufArray asArray() {
        if (!(value instanceof GgufArray a)) throw new IllegalStateException("not an array: " + type);
        return a;
    }

    /** An integer of any integer type as a long (UINT64 above 2^63 comes back negative). */
    public long asLong() {
        if (value instanceof Integer i) return i;
        if (value instanceof Long l) return l;
        throw new IllegalStateException("not an integer: " + type);
    }

    public String asString() {
        if (!(value instanceof String s)) throw new IllegalStateException("not a string: " + type);
        return s;
    }

    /** A short rendering for listings: arrays show their type, length and first elements. */
    public String display() {
        if (value instanceof GgufArray a) {
            StringBuilder sb = new StringBuilder("[").append(a.elementType()).append(" x ").append(a.size());
            int shown = Math.min(a.size(), 5);
            if (shown > 0) sb.append(": ");
            for (int i = 0; i < shown; i++) {
                if (i > 0) sb.append(", ");
                Object o = a.items().get(i);
                sb.append(o instanceof String s ? quote(s) : o instanceof GgufArray n ? "[" + n.elementType() + " x " + n.size() + "]" : String.valueOf(o));
            }
            if (a.size() > shown) sb.append(", ...");
            return sb.append("]").toString();
        }
        if (type == GgufValueType.UINT64) return Long.toUnsignedString((Long) value);
        if (value instanceof String s) return quote(s.length() > 120 ? s.substring(0, 120) + "..." : s);
        return String.valueOf(value);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
    }
}
