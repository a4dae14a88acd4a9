package dev.calq.formats.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors bytes by hand (header text as given) so that tests can produce malformed files. */
final class RawSafetensors {
    private RawSafetensors() {}

    static byte[] bytes(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < dataBytes; i++) b.put((byte) i);
        return b.array();
    }

    static Path write(Path file, String header, int dataBytes) throws IOException {
        return Files.write(file, bytes(header, dataBytes));
    }
}
