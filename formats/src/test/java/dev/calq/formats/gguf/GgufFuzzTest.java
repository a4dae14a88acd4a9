package dev.calq.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.calq.formats.CalqException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A malformed GGUF must fail with a CalqException only: never another exception, a hang or a huge allocation. */
class GgufFuzzTest {
    @TempDir Path dir;

    private byte[] sample() throws Exception {
        return Files.readAllBytes(GgufRoundTripTest.writeSample(dir.resolve("sample.gguf"), null));
    }

    private void openExpectingOnlyCalqException(byte[] bytes, String what) throws Exception {
        Path f = dir.resolve("fuzz.gguf");
        Files.write(f, bytes);
        try (GgufFile g = GgufFile.open(f)) {
            // a mutation that still parses must give usable tensor views
            for (GgufTensorInfo t : g.tensors()) g.data(t);
        } catch (CalqException expected) {
            // fine
        } catch (Throwable t) {
            fail(what + ": " + t, t);
        }
    }

    @Test
    void everyTruncationFailsCleanly() throws Exception {
        byte[] full = sample();
        for (int len = 0; len < full.length; len++) {
            byte[] prefix = java.util.Arrays.copyOf(full, len);
            Path f = dir.resolve("t.gguf");
            Files.write(f, prefix);
            int l = len;
            assertThrows(CalqException.class, () -> GgufFile.open(f).close(), () -> "prefix of " + l + " bytes was accepted");
        }
    }

    @Test
    void randomCorruptionFailsCleanlyOrParses() throws Exception {
        byte[] full = sample();
        Random rnd = new Random(42);
        for (int trial = 0; trial < 3000; trial++) {
            byte[] b = full.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int pos = rnd.nextInt(Math.min(b.length, trial % 2 == 0 ? 64 : b.length));
                b[pos] = (byte) (rnd.nextInt(3) == 0 ? 0xff : rnd.nextInt(256));
            }
            openExpectingOnlyCalqException(b, "trial " + trial);
        }
    }

    @Test
    void hugeCountsAndLengthsAreRejectedWithoutAllocating() throws Exception {
        byte[] full = sample();
        ByteBuffer bb = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(8, Long.MAX_VALUE / 2); // tensor count
        openExpectingOnlyCalqException(bb.array(), "tensor count");
        bb = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(16, 1L << 40); // kv count
        openExpectingOnlyCalqException(bb.array(), "kv count");
        bb = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(24, -2L); // first key length
        openExpectingOnlyCalqException(bb.array(), "key length");
        bb = ByteBuffer.wrap(full.clone()).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(4, 99); // version
        Path f = dir.resolve("v.gguf");
        Files.write(f, bb.array());
        assertThrows(CalqException.class, () -> GgufFile.open(f));
    }

    @Test
    void deeplyNestedArraysAreRefused() throws Exception {
        // magic, version 3, 0 tensors, 1 kv "k" of type ARRAY nested 10,000 deep
        ByteBuffer bb = ByteBuffer.allocate(40 + 12 * 10_000).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(Gguf.MAGIC).putInt(3).putLong(0).putLong(1).putLong(1).put((byte) 'k').putInt(GgufValueType.ARRAY.id());
        for (int i = 0; i < 10_000 && bb.remaining() >= 12; i++) bb.putInt(GgufValueType.ARRAY.id()).putLong(1);
        Path f = dir.resolve("deep.gguf");
        Files.write(f, bb.array());
        assertThrows(CalqException.class, () -> GgufFile.open(f));
    }

    @Test
    void missingFileIsACalqException() {
        assertThrows(CalqException.class, () -> GgufFile.open(dir.resolve("nope.gguf")));
    }
}
