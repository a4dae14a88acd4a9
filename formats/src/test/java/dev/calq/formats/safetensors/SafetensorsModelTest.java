package dev.calq.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsModelTest {
    @TempDir Path dir;

    private Path sharded() {
        Path out = dir.resolve("sharded");
        try (SafetensorsWriter w = SafetensorsWriter.folder(out, SafetensorsWriter.PT_METADATA, 8)) {
            w.add(Tensor.ofFloats("x", new float[] {1, 2}, 2));
            w.add(Tensor.ofFloats("y", new float[] {3, 4}, 2));
            w.finish();
        }
        return out;
    }

    @Test
    void opensFolderFileAndIndex() {
        Path out = dir.resolve("single");
        try (SafetensorsWriter w = SafetensorsWriter.folder(out, null, 1 << 20)) {
            w.add(Tensor.ofFloats("w", new float[] {5, 6, 7}, 3));
            w.finish();
        }
        try (SafetensorsModel m = SafetensorsModel.open(out)) {
            assertEquals(List.of("w"), List.copyOf(m.names()));
            assertEquals(3, m.parameterCount());
            assertTrue(m.index().isEmpty());
            assertEquals(7f, m.get("w").getFloat(2));
        }
        try (SafetensorsModel m = SafetensorsModel.open(out.resolve("model.safetensors"))) {
            assertEquals(1, m.files().size());
        }
        Path sh = sharded();
        try (SafetensorsModel m = SafetensorsModel.open(sh)) {
            assertEquals(List.of("x", "y"), List.copyOf(m.names()));
            assertEquals(2, m.files().size());
            assertEquals(4f, m.get("y").getFloat(1));
            assertEquals(sh.resolve("model.safetensors.index.json"), m.index().orElseThrow());
            assertEquals(Files.exists(sh.resolve("model-00002-of-00002.safetensors")), true);
            assertTrue(m.bytesOnDisk() > 16);
        }
    }

    @Test
    void loneFileWithAnotherNameIsAccepted() throws IOException {
        Path out = dir.resolve("gptq");
        try (SafetensorsWriter w = SafetensorsWriter.file(Files.createDirectories(out).resolve("gptq_model-4bit-128g.safetensors"), null)) {
            w.add(Tensor.ofFloats("w", new float[] {1}, 1));
            w.finish();
        }
        try (SafetensorsModel m = SafetensorsModel.open(out)) {
            assertTrue(m.contains("w"));
        }
    }

    @Test
    void missingShardNamesIndexAndShard() throws IOException {
        Path sh = sharded();
        Files.delete(sh.resolve("model-00002-of-00002.safetensors"));
        CalqException e = assertThrows(CalqException.class, () -> SafetensorsModel.open(sh));
        assertTrue(e.getMessage().startsWith(sh.resolve("model.safetensors.index.json") + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("shard model-00002-of-00002.safetensors (holding \"y\""), e.getMessage());
    }

    @Test
    void indexPointingAtWrongShard() throws IOException {
        Path sh = sharded();
        Path idx = sh.resolve("model.safetensors.index.json");
        Files.writeString(idx, Files.readString(idx).replace("\"y\": \"model-00002", "\"y\": \"model-00001"));
        CalqException e = assertThrows(CalqException.class, () -> SafetensorsModel.open(sh));
        assertTrue(e.getMessage().contains("weight_map puts \"y\" in model-00001-of-00002.safetensors, which has no such tensor"), e.getMessage());
    }

    @Test
    void badIndexAndEmptyFolder() throws IOException {
        Path d = Files.createDirectories(dir.resolve("bad"));
        CalqException e = assertThrows(CalqException.class, () -> SafetensorsModel.open(d));
        assertTrue(e.getMessage().startsWith(d + ": no model.safetensors"), e.getMessage());
        Files.writeString(d.resolve("model.safetensors.index.json"), "{\"weight_map\": 3}");
        e = assertThrows(CalqException.class, () -> SafetensorsModel.open(d));
        assertTrue(e.getMessage().contains("missing \"weight_map\" object"), e.getMessage());
        Files.writeString(d.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": \"../x.safetensors\"}}");
        e = assertThrows(CalqException.class, () -> SafetensorsModel.open(d));
        assertTrue(e.getMessage().contains("outside the model folder"), e.getMessage());
        Path missing = dir.resolve("nope");
        e = assertThrows(CalqException.class, () -> SafetensorsModel.open(missing));
        assertEquals(missing + ": not found", e.getMessage());
    }
}
