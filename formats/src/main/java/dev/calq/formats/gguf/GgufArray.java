package dev.calq.formats.gguf;

import java.util.List;

/**
 * A GGUF array value: one element type and the elements as Java values of the kind {@link GgufValue} holds for
 * that type (an ARRAY element type means nested {@code GgufArray}s).
 */
public record GgufArray(GgufValueType elementType, List<?> items) {
    public GgufArray {
        if (!(items instanceof PackedList)) items = List.copyOf(items);
    }

    public int size() { return items.size(); }

    /** The elements as strings (for STRING arrays). */
    @SuppressWarnings("unchecked")
    public List<String> strings() {
        if (elementType != GgufValueType.STRING) throw new IllegalStateException("not a string array: " + elementType);
        return (List<String>) items;
    }
}
