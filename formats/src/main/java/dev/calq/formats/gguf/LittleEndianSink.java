package dev.calq.formats.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer for building GGUF headers in memory (they are small next to the data). */
final class LittleEndianSink {
    private byte[] buf = new byte[4096];
    private int size;

    private void ensure(int more) {
        if (size + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }

    void u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
    }

    void i16(int v) {
        ensure(2);
        buf[size++] = (byte) v;
        buf[size++] = (byte) (v >>> 8);
    }

    void i32(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) buf[size++] = (byte) (v >>> (8 * i));
    }

    void i64(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) buf[size++] = (byte) (v >>> (8 * i));
    }

    /** GGUF strings: uint64 byte length, then UTF-8 bytes without a terminator. */
    void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
    }

    void padTo(long alignment) {
        int padded = (int) Gguf.pad(size, alignment);
        ensure(padded - size);
        size = padded;
    }

    int size() { return size; }

    ByteBuffer toBuffer() { return ByteBuffer.wrap(buf, 0, size).order(ByteOrder.LITTLE_ENDIAN); }
}
