package dev.calq.formats.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedPagesTest {
    @TempDir Path dir;

    @Test
    void releasedPagesOfAMappedFileReadBackTheSameBytes() throws IOException {
        byte[] bytes = new byte[5 * 4096 + 123];
        new Random(1).nextBytes(bytes);
        Path f = dir.resolve("t.bin");
        Files.write(f, bytes);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            MemorySegment tensor = all.asSlice(100, bytes.length - 200); // not page-aligned at either end
            long sum = 0;
            for (long i = 0; i < tensor.byteSize(); i++) sum += tensor.get(ValueLayout.JAVA_BYTE, i);
            boolean linux = System.getProperty("os.name").toLowerCase().contains("linux");
            assertEquals(linux, MappedPages.release(tensor));
            assertArrayEquals(bytes, all.toArray(ValueLayout.JAVA_BYTE), "the file reads the same after release");
            long again = 0;
            for (long i = 0; i < tensor.byteSize(); i++) again += tensor.get(ValueLayout.JAVA_BYTE, i);
            assertEquals(sum, again);
        }
        assertFalse(MappedPages.release(MemorySegment.ofArray(new byte[8192])), "heap segments are left alone");
        assertFalse(MappedPages.release(MemorySegment.ofArray(new byte[0])));
    }
}
