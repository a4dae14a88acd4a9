package dev.calq.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir Path dir;

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @Test
    void everyDtypeRoundTripsByteForByte() throws IOException {
        Random r = new Random(1);
        Map<String, byte[]> expected = new LinkedHashMap<>();
        Map<String, DType> types = new LinkedHashMap<>();
        Path file = dir.resolve("all.safetensors");
        long[] shape = {3, 5};
        try (SafetensorsWriter w = SafetensorsWriter.file(file, SafetensorsWriter.PT_METADATA)) {
            for (DType d : DType.values()) {
                String name = "t." + d.name().toLowerCase();
                byte[] b = randomBytes(r, 15 * d.byteSize());
                if (d == DType.BOOL) for (int i = 0; i < b.length; i++) b[i] &= 1;
                expected.put(name, b);
                types.put(name, d);
                if (d.ordinal() % 2 == 0) w.add(name, d, shape, MemorySegment.ofArray(b));
                else w.add(name, d, shape, out -> out.write(b));
            }
            assertEquals(List.of(file), w.finish());
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(expected.keySet(), f.names());
            assertEquals(Map.of("format", "pt"), f.metadata());
            for (String n : expected.keySet()) {
                Tensor t = f.get(n);
                assertEquals(types.get(n), t.dtype(), n);
                assertArrayEquals(shape, t.shape(), n);
                assertArrayEquals(expected.get(n), t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), n);
                // HF order (largest dtype first) keeps every tensor aligned to its element size.
                long absolute = 8 + f.headerLength() + t.data().address() - f.get(f.names().iterator().next()).data().address();
                assertEquals(0, absolute % t.dtype().byteSize(), n);
            }
            List<String> order = new ArrayList<>(f.names());
            assertEquals("t.i64", order.get(0));
            assertEquals("t.bool", order.getLast());
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "no temporary files left behind");
        }
    }

    @Test
    void bytesMatchHuggingFaceSerializer() throws IOException {
        // The expected bytes are those huggingface/safetensors' own unit tests assert for these inputs.
        float[] v = {0, 1, 2, 3, 4, 5};
        Path a = dir.resolve("a.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.file(a, null)) {
            w.add(Tensor.ofFloats("attn.0", v, 1, 2, 3));
            w.finish();
        }
        assertEquals(expectedFile("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", v), hex(Files.readAllBytes(a)));
        Path b = dir.resolve("b.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.file(b, null)) {
            w.add(Tensor.ofFloats("attn0", v, 1, 1, 2, 3));
            w.finish();
        }
        assertEquals(expectedFile("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", v), hex(Files.readAllBytes(b)));
        Path c = dir.resolve("c.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.file(c, Map.of("framework", "pt"))) {
            w.finish();
        }
        assertEquals(expectedFile("{\"__metadata__\":{\"framework\":\"pt\"}}     ", new float[0]), hex(Files.readAllBytes(c)));
    }

    private static String expectedFile(String header, float[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (float f : data) buf.putFloat(f);
        return hex(buf.array());
    }

    private static String hex(byte[] b) { return java.util.HexFormat.of().formatHex(b); }

    @Test
    void shardsAtTheLimitWithHuggingFaceIndex() throws IOException {
        Random r = new Random(2);
        Path out = dir.resolve("model");
        Map<String, byte[]> expected = new LinkedHashMap<>();
        // 100-byte limit: a(40) b(40) | c(80) | d(120, alone: larger than the limit) | e(4)
        int[] sizes = {40, 40, 80, 120, 4};
        String[] names = {"a", "b", "c", "d", "e"};
        List<Path> written;
        try (SafetensorsWriter w = SafetensorsWriter.folder(out, SafetensorsWriter.PT_METADATA, 100)) {
            for (int i = 0; i < names.length; i++) {
                byte[] b = randomBytes(r, sizes[i]);
                expected.put(names[i], b);
                w.add(names[i], DType.F32, new long[] {sizes[i] / 4}, MemorySegment.ofArray(b));
            }
            written = w.finish();
        }
        assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", "model.safetensors.index.json"),
                written.stream().map(p -> p.getFileName().toString()).toList());
        String index = Files.readString(out.resolve("model.safetensors.index.json"));
        assertTrue(index.startsWith("{\n  \"metadata\": {\n    \"total_size\": 284\n  },\n  \"weight_map\": {\n    \"a\": \"model-00001-of-00004.safetensors\",\n"), index);
        assertTrue(index.endsWith("\"e\": \"model-00004-of-00004.safetensors\"\n  }\n}\n"), index);
        JsonNode wm = new ObjectMapper().readTree(index).get("weight_map");
        assertEquals("model-00003-of-00004.safetensors", wm.get("d").asText());
        try (SafetensorsModel m = SafetensorsModel.open(out)) {
            assertEquals(List.of("a", "b", "c", "d", "e"), List.copyOf(m.names()));
            assertEquals(4, m.files().size());
            for (var e : expected.entrySet())
                assertArrayEquals(e.getValue(), m.get(e.getKey()).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertEquals(out.resolve("model-00002-of-00004.safetensors"), m.fileOf("c").path());
        }
        try (Stream<Path> s = Files.list(out)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".")), "temporary files left");
        }
    }

    @Test
    void oneShardIsPlainModelSafetensors() {
        Path out = dir.resolve("m");
        try (SafetensorsWriter w = SafetensorsWriter.folder(out, null, 1000)) {
            w.add(Tensor.ofFloats("x", new float[] {1, 2}, 2));
            assertEquals(List.of(out.resolve("model.safetensors")), w.finish());
        }
        assertFalse(Files.exists(out.resolve("model.safetensors.index.json")));
    }

    @Test
    void abandonedWriterLeavesNothing() throws IOException {
        Path file = dir.resolve("x.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.file(file, null)) {
            w.add(Tensor.ofFloats("x", new float[] {1, 2}, 2));
            assertThrows(IllegalArgumentException.class, () -> w.add("y", DType.F32, new long[] {3}, out -> out.write(new byte[4])));
            assertThrows(IllegalArgumentException.class, () -> w.add(Tensor.ofFloats("x", new float[] {1}, 1)));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }
}
