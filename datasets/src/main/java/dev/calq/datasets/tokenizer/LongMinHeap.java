package dev.calq.datasets.tokenizer;

import java.util.Arrays;

/** A binary min-heap of primitive longs: the merge agenda of the BPE encoder, without boxing a million entries. */
final class LongMinHeap {
    private long[] heap;
    private int size;

    LongMinHeap(int capacity) { heap = new long[Math.max(16, capacity)]; }

    boolean isEmpty() { return size == 0; }

    int size() { return size; }

    void clear() { size = 0; }

    void push(long v) {
        if (size == heap.length) heap = Arrays.copyOf(heap, heap.length * 2);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            long p = heap[parent];
            if (p <= v) break;
            heap[i] = p;
            i = parent;
        }
        heap[i] = v;
    }

    long pop() {
        long top = heap[0];
        long last = heap[--size];
        int i = 0, half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            long c = heap[child];
            int right = child + 1;
            if (right < size && heap[right] < c) c = heap[child = right];
            if (last <= c) break;
            heap[i] = c;
            i = child;
        }
        heap[i] = last;
        return top;
    }
}
