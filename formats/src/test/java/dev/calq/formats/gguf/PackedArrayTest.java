package dev.calq.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metadata arrays read back packed: the same values and Java types as written, at about one byte of heap per byte. */
class PackedArrayTest {
    @TempDir Path dir;

    private static List<Object> values(GgufValueType t, int n, Random r) {
        List<Object> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(switch (t) {
                case UINT8 -> r.nextInt(256);
                case INT8 -> r.nextInt(256) - 128;
                case UINT16 -> r.nextInt(65536);
                case INT16 -> r.nextInt(65536) - 32768;
                case UINT32 -> r.nextLong(1L << 32);
                case INT32 -> r.nextInt();
                case UINT64, INT64 -> r.nextLong();
                case FLOAT32 -> (float) r.nextGaussian();
                case FLOAT64 -> r.nextGaussian();
                case BOOL -> r.nextBoolean();
                case STRING -> i % 7 == 0 ? "" : "tok\u00e9" + r.nextInt(1000) + "\u2581";
                case ARRAY -> throw new AssertionError();
            });
        }
        return l;
    }

    @Test void everyElementTypeRoundTrips() {
        Random r = new Random(9);
        Map<String, GgufValue> md = new LinkedHashMap<>();
        Map<String, List<Object>> expected = new LinkedHashMap<>();
        for (GgufValueType t : GgufValueType.values()) {
            if (t == GgufValueType.ARRAY) continue;
            for (int n : new int[] {0, 1, 37}) {
                List<Object> v = values(t, n, r);
                md.put("test." + t + "." + n, GgufValue.array(t, v));
                expected.put("test." + t + "." + n, v);
            }
        }
        Path f = dir.resolve("a.gguf");
        try (GgufWriter w = GgufWriter.create(f, false, md, List.of())) {
            w.finish();
        }
        try (GgufFile g = GgufFile.open(f)) {
            for (var e : expected.entrySet()) {
                List<?> got = g.get(e.getKey()).asArray().items();
                assertEquals(e.getValue(), got, e.getKey());
                for (int i = 0; i < got.size(); i++) assertEquals(e.getValue().get(i).getClass(), got.get(i).getClass(), e.getKey());
            }
        }
    }

    /** An 8 MiB UINT8 array took about 26 bytes of heap per byte when every element was boxed. */
    @Test void aLargeArrayCostsAboutItsFileSize() {
        int n = 8 << 20;
        List<Object> v = new ArrayList<>(n);
        for (int i = 0; i < n; i++) v.add(i & 0x7f);
        Path f = dir.resolve("big.gguf");
        try (GgufWriter w = GgufWriter.create(f, false, Map.of("big", GgufValue.array(GgufValueType.UINT8, v)), List.of())) {
            w.finish();
        }
        v = null;
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try (GgufFile g = GgufFile.open(f)) {
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 3L * n, "allocated " + allocated + " bytes for a " + n + "-byte array");
            assertEquals(n, g.get("big").asArray().size());
            assertEquals(5, g.get("big").asArray().items().get(5));
        }
    }
}
