package dev.calq.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.SharedData;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir Path dir;

    @Test
    void readsHandBuiltFileInDataOrderWithMetadata() throws IOException {
        // Header order differs from data order on purpose: names() follows the data.
        Path f = RawSafetensors.write(dir.resolve("a.safetensors"),
                "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"I16\",\"shape\":[3],\"data_offsets\":[8,14]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", 14);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(List.of("a", "b"), List.copyOf(sf.names()));
            assertEquals(Map.of("format", "pt"), sf.metadata());
            Tensor a = sf.get("a");
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new long[] {1, 2}, a.shape());
            assertEquals(8, a.data().byteSize());
            ByteBuffer expect = ByteBuffer.wrap(RawSafetensors.bytes("x", 8), 9, 4).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(expect.getFloat(), a.getFloat(0));
            Tensor b = sf.get("b");
            assertEquals((short) (8 | 9 << 8), b.data().get(Tensor.I16, 0));
            assertEquals(f, sf.path());
            CalqException e = assertThrows(CalqException.class, () -> sf.get("zzz"));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("zzz"), e.getMessage());
        }
    }

    @Test
    void readsSharedTinyLlama() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        try (SafetensorsModel m = SafetensorsModel.open(SharedData.tinyLlama())) {
            assertEquals(57_942_528L, m.parameterCount());
            Tensor emb = m.get("model.embed_tokens.weight");
            assertEquals(DType.BF16, emb.dtype());
            assertArrayEquals(new long[] {32000, 512}, emb.shape());
            float[] row = new float[512];
            emb.copyFloats(0, row, 0, 512);
            for (int i = 0; i < 512; i++) assertEquals(emb.getFloat(i), row[i]);
        }
    }

    @Test
    void mapsFilesLargerThanTwoGigabytes() throws IOException {
        // A sparse 3 GB file: one U8 tensor whose far bytes (past 2^31) must be reachable through the mapping.
        long n = 3_000_000_000L;
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + n + "],\"data_offsets\":[0," + n + "]}}";
        Path f = RawSafetensors.write(dir.resolve("big.safetensors"), header, 0);
        long dataStart = Files.size(f);
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {42}), dataStart + (1L << 31) + 5);
            ch.write(ByteBuffer.wrap(new byte[] {7}), dataStart + n - 1);
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            Tensor t = sf.get("big");
            assertEquals(n, t.data().byteSize());
            assertEquals(42, t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, (1L << 31) + 5));
            assertEquals(7, t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, n - 1));
        } finally {
            Files.delete(f);
        }
    }
}
