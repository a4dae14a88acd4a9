package dev.calq.formats.imatrix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportanceMatrixTest {
    @TempDir Path dir;

    static float[] randomPositive(Random r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = r.nextFloat() * 100f;
        return f;
    }

    static ImportanceMatrix sample() {
        Random r = new Random(7);
        Map<String, ImportanceMatrix.Entry> m = new TreeMap<>();
        m.put("blk.0.attn_q.weight", ImportanceMatrix.Entry.of(randomPositive(r, 37), randomPositive(r, 37), 1024));
        m.put("blk.0.ffn_down.weight", ImportanceMatrix.Entry.of(randomPositive(r, 53), null, 1000));
        // stacked experts: 3 matrices of 5 columns, one never used
        m.put("blk.1.ffn_up_exps.weight", new ImportanceMatrix.Entry(randomPositive(r, 15), null, new float[] {512, 0, 300}));
        return new ImportanceMatrix(m, 2, 512, List.of("calib.txt"));
    }

    @Test
    void importanceIsSumOverCountAndOneWhereNoTokensWereSeen() {
        ImportanceMatrix m = sample();
        ImportanceMatrix.Entry e = m.entries().get("blk.1.ffn_up_exps.weight");
        float[] imp = m.importance("blk.1.ffn_up_exps.weight");
        for (int i = 0; i < 5; i++) {
            assertEquals(e.sumSq()[i] / 512f, imp[i], 0f);
            assertEquals(1f, imp[5 + i], 0f);
            assertEquals(e.sumSq()[10 + i] / 300f, imp[10 + i], 0f);
        }
        assertNull(m.importance("output.weight"));
    }

    @Test
    void ggufRoundTripKeepsEverything() {
        ImportanceMatrix m = sample();
        Path f = dir.resolve("imatrix.gguf");
        m.write(f, false);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals("imatrix", g.get("general.type").asString());
            assertArrayEquals(new long[] {37}, g.tensor("blk.0.attn_q.weight.in_sum2").ne()); // trailing 1s dropped, as ggml writes
            assertArrayEquals(new long[] {1, 3}, g.tensor("blk.1.ffn_up_exps.weight.counts").ne());
        }
        ImportanceMatrix back = ImportanceMatrix.read(f);
        assertFalse(back.legacy());
        assertEquals(2, back.chunkCount());
        assertEquals(512, back.chunkSize());
        assertEquals(List.of("calib.txt"), back.datasets());
        assertEquals(m.entries().keySet(), back.entries().keySet());
        for (String k : m.entries().keySet()) {
            ImportanceMatrix.Entry a = m.entries().get(k), b = back.entries().get(k);
            assertArrayEquals(a.sumSq(), b.sumSq());
            assertArrayEquals(a.counts(), b.counts());
            assertTrue(Arrays.equals(a.sum(), b.sum()));
            assertArrayEquals(m.importance(k), back.importance(k));
        }
    }

    @Test
    void legacyRoundTripKeepsTheImportanceLlamaQuantizeDerives() {
        ImportanceMatrix m = sample();
        Path f = dir.resolve("imatrix.dat");
        m.write(f, true);
        ImportanceMatrix back = ImportanceMatrix.read(f);
        assertTrue(back.legacy());
        assertEquals(2, back.chunkCount());
        assertEquals(List.of("calib.txt"), back.datasets());
        // ncall = ceil(1024/512) = 2 for attn_q: stored values are (sumSq/count)*2
        assertEquals(2f, back.entries().get("blk.0.attn_q.weight").counts()[0]);
        for (String k : m.entries().keySet()) {
            float[] a = m.importance(k), b = back.importance(k);
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5f * Math.max(1f, Math.abs(a[i])), k + "[" + i + "]");
        }
        // legacy written again from a legacy read is byte-identical
        Path f2 = dir.resolve("again.dat");
        back.write(f2, true);
        try {
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(f2));
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
        // and converting legacy to GGUF keeps the importance
        Path g = dir.resolve("conv.gguf");
        back.write(g, false);
        ImportanceMatrix viaGguf = ImportanceMatrix.read(g);
        for (String k : m.entries().keySet()) assertArrayEquals(back.importance(k), viaGguf.importance(k), 1e-6f);
    }

    @Test
    void malformedLegacyFilesFailWithCalqExceptionOnly() throws Exception {
        Path f = dir.resolve("imatrix.dat");
        sample().write(f, true);
        byte[] full = Files.readAllBytes(f);
        // the trailer is optional, so prefixes that end inside it parse; everything before must fail
        Path t = dir.resolve("t.dat");
        for (int len = 0; len < full.length; len++) {
            Files.write(t, Arrays.copyOf(full, len));
            try {
                ImportanceMatrix.read(t);
            } catch (CalqException expected) {
                continue;
            } catch (Throwable e) {
                fail("prefix " + len + ": " + e, e);
            }
        }
        Random r = new Random(1);
        for (int trial = 0; trial < 500; trial++) {
            byte[] b = full.clone();
            b[r.nextInt(Math.min(b.length, 40))] = (byte) r.nextInt(256);
            Files.write(t, b);
            try {
                ImportanceMatrix.read(t);
            } catch (CalqException expected) {
                // fine
            } catch (Throwable e) {
                fail("trial " + trial + ": " + e, e);
            }
        }
        Files.write(t, new byte[] {1, 0, 0, 0});
        assertThrows(CalqException.class, () -> ImportanceMatrix.read(t));
    }

    /** One infinite sum made a GGUF whose perplexity was NaN: both formats refuse it where the file is read. */
    @org.junit.jupiter.api.Test
    void nonFiniteSumsAreRefusedOnRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        for (boolean legacy : new boolean[] {false, true}) {
            float[] sums = {1, 2, 3, Float.POSITIVE_INFINITY, 5, 6};
            ImportanceMatrix m = new ImportanceMatrix(java.util.Map.of("blk.0.ffn_up.weight", ImportanceMatrix.Entry.of(sums, null, 10)),
                    1, 512, List.of("c.txt"));
            java.nio.file.Path f = dir.resolve(legacy ? "im.dat" : "im.gguf");
            m.write(f, legacy);
            dev.calq.formats.CalqException e = org.junit.jupiter.api.Assertions.assertThrows(dev.calq.formats.CalqException.class,
                    () -> ImportanceMatrix.read(f));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith(f + ": entry blk.0.ffn_up.weight (sums of squares) has an infinity"),
                    e.getMessage());
        }
    }
}
