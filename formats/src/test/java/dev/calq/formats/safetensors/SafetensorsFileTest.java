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
}
