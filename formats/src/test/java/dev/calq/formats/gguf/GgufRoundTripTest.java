package dev.calq.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir Path dir;

    static Map<String, GgufValue> allTypes() {
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.string("llama"));
        md.put("t.u8", new GgufValue(GgufValueType.UINT8, 250));
        md.put("t.i8", new GgufValue(GgufValueType.INT8, -7));
        md.put("t.u16", new GgufValue(GgufValueType.UINT16, 65000));
        md.put("t.i16", new GgufValue(GgufValueType.INT16, -30000));
        md.put("t.u32", GgufValue.u32(4_000_000_000L));
        md.put("t.i32", GgufValue.i32(-123456789));
        md.put("t.f32", GgufValue.f32(1e-5f));
        md.put("t.bool", GgufValue.bool(true));
        md.put("t.string", GgufValue.string("héllo ▁world"));
        md.put("t.u64", GgufValue.u64(-1L));
        md.put("t.i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE + 3));
        md.put("t.f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        md.put("t.strings", GgufValue.strings(List.of("a", "", "<0x0A>")));
        md.put("t.floats", GgufValue.floats(new float[] {0f, -1.5f, Float.NaN}));
        md.put("t.empty", GgufValue.array(GgufValueType.INT32, List.of()));
        md.put("t.nested", GgufValue.array(GgufValueType.ARRAY, List.of(
                new GgufArray(GgufValueType.UINT8, List.of(1, 2, 3)),
                new GgufArray(GgufValueType.STRING, List.of("x")),
                new GgufArray(GgufValueType.ARRAY, List.of(new GgufArray(GgufValueType.BOOL, List.of(false, true)))))));
        return md;
    }

    /** Writes a small file with the given alignment (null: default) and returns its bytes' path. */
    static Path writeSample(Path file, Integer alignment) {
        Map<String, GgufValue> md = allTypes();
        if (alignment != null) md.put(Gguf.KEY_ALIGNMENT, GgufValue.u32(alignment));
        List<GgufWriter.Spec> specs = List.of(
                new GgufWriter.Spec("a.weight", GgmlType.F32, new long[] {5, 3}),
                new GgufWriter.Spec("b.weight", GgmlType.Q8_0, new long[] {64, 2}),
                new GgufWriter.Spec("c", GgmlType.F16, new long[] {7}));
        try (GgufWriter w = GgufWriter.create(file, false, md, specs)) {
            for (GgufTensorInfo t : w.tensorInfos()) w.write(t.name(), MemorySegment.ofArray(pattern(t.name(), (int) t.byteSize())));
            w.finish();
        }
        return file;
    }

    static byte[] pattern(String name, int n) {
        byte[] b = new byte[n];
        new Random(name.hashCode()).nextBytes(b);
        return b;
    }

    @Test
    void everyValueTypeAndTensorSurvivesARoundTrip() {
        Path f = writeSample(dir.resolve("x.gguf"), null);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(3, g.version());
            assertEquals(allTypes(), g.metadata());
            assertEquals(List.of("a.weight", "b.weight", "c"), g.tensors().stream().map(GgufTensorInfo::name).toList());
            assertEquals(32, g.alignment());
            assertEquals(0, g.dataOffset() % 32);
            GgufTensorInfo b = g.tensor("b.weight");
            assertArrayEquals(new long[] {64, 2}, b.ne());
            assertArrayEquals(new long[] {2, 64}, b.shape());
            assertEquals(2 * 2 * 34, b.byteSize());
            for (GgufTensorInfo t : g.tensors()) {
                assertEquals(0, t.offset() % 32);
                assertArrayEquals(pattern(t.name(), (int) t.byteSize()), g.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            // the data section is padded after the last tensor as ggml writes it
            GgufTensorInfo last = g.tensor("c");
            assertEquals(g.dataOffset() + Gguf.pad(last.offset() + last.byteSize(), 32), Files.size(f));
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void customAlignmentIsHonoured() {
        Path f = writeSample(dir.resolve("a64.gguf"), 64);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(64, g.alignment());
            assertEquals(0, g.dataOffset() % 64);
            for (GgufTensorInfo t : g.tensors()) assertEquals(0, t.offset() % 64);
        }
    }

    @Test
    void writerRefusesBadInputAndLeavesNoFile() {
        Path f = dir.resolve("bad.gguf");
        assertThrows(CalqException.class, () -> GgufWriter.create(f, false, Map.of(),
                List.of(new GgufWriter.Spec("q", GgmlType.Q4_K, new long[] {100, 2}))));
        assertThrows(CalqException.class, () -> GgufWriter.create(f, false, Map.of(Gguf.KEY_ALIGNMENT, GgufValue.u32(24)), List.of()));
        try (GgufWriter w = GgufWriter.create(f, false, Map.of(), List.of(new GgufWriter.Spec("t", GgmlType.F32, new long[] {4})))) {
            assertThrows(IllegalStateException.class, () -> w.write("t", MemorySegment.ofArray(new byte[12])));
            assertThrows(IllegalStateException.class, w::finish);
        }
        assertFalse(Files.exists(f));
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count(), "no temporary files left behind");
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void refusesToOverwriteWithoutPermission() throws Exception {
        Path f = writeSample(dir.resolve("o.gguf"), null);
        assertThrows(CalqException.class, () -> writeSample(f, null));
        assertTrue(GgufFile.hasMagic(f));
    }

    @Test
    void trailingUnitDimsAreDroppedAsGgmlDoes() {
        Path f = dir.resolve("dims.gguf");
        try (GgufWriter w = GgufWriter.create(f, false, Map.of(), List.of(
                new GgufWriter.Spec("v", GgmlType.F32, new long[] {8, 1, 1}),
                new GgufWriter.Spec("m", GgmlType.F32, new long[] {2, 1, 3})))) {
            w.write("v", MemorySegment.ofArray(new byte[32]));
            w.write("m", MemorySegment.ofArray(new byte[24]));
            w.finish();
        }
        try (GgufFile g = GgufFile.open(f)) {
            assertArrayEquals(new long[] {8}, g.tensor("v").ne());
            assertArrayEquals(new long[] {2, 1, 3}, g.tensor("m").ne());
        }
    }
}
