package dev.calq.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexRunsOnceInChunksOfAtMostGrain() {
        for (int n : new int[] {0, 1, 7, 100, 1001})
            for (int grain : new int[] {1, 3, 64, 5000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                Parallel.forRange(n, grain, (from, to) -> {
                    assertTrue(to - from <= grain && from < to, "chunk " + from + ".." + to);
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " n=" + n + " grain=" + grain);
            }
    }

    @Test
    void nestedCallsCompleteAndCoverTheirRange() {
        AtomicIntegerArray hits = new AtomicIntegerArray(40 * 30);
        Parallel.forRange(40, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = i;
                Parallel.forRange(30, 4, (f2, t2) -> {
                    for (int j = f2; j < t2; j++) hits.incrementAndGet(row * 30 + j);
                });
            }
        });
        for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i));
    }

    @Test
    void bodyExceptionsReachTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(100, 1, (from, to) -> {
            if (from == 57) throw new IllegalStateException("boom");
        }));
        assertEquals("boom", e.getMessage());
        assertTrue(Parallel.threads() >= 1);
    }
}
