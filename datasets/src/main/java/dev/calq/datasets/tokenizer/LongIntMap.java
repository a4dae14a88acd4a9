package dev.calq.datasets.tokenizer;

import java.util.Arrays;

/** An open-addressing map from long keys to non-negative ints (-1 = absent); the BPE pair table looked up per merge. */
final class LongIntMap {
    private static final long EMPTY = Long.MIN_VALUE;
    private long[] keys;
    private int[] values;
    private int size, mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    int get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return -1;
        }
    }

    void put(long key, int value) {
        if (key == EMPTY) throw new IllegalArgumentException("reserved key");
        if (2 * (size + 1) > keys.length) grow();
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (keys[i] == EMPTY) { keys[i] = key; values[i] = value; size++; return; }
            if (keys[i] == key) { values[i] = value; return; }
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) if (oldKeys[i] != EMPTY) put(oldKeys[i], oldValues[i]);
    }
}
