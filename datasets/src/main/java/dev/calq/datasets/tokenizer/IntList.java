package dev.calq.datasets.tokenizer;

import java.util.Arrays;

/** A growable int array, so token sequences are not boxed. */
final class IntList {
    private int[] a;
    private int size;

    IntList(int capacity) { a = new int[Math.max(8, capacity)]; }

    void add(int v) {
        if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[size++] = v;
    }

    int size() { return size; }

    int[] toArray() { return Arrays.copyOf(a, size); }
}
