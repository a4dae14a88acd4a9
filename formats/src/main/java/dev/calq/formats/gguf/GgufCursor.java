package dev.calq.formats.gguf;

import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** A bounds-checked little-endian reader over a mapped file: reading past the end is a CalqException, never an IOOBE. */
final class GgufCursor {
    private final MemorySegment seg;
    private final java.nio.file.Path path;
    private long pos;

    GgufCursor(MemorySegment seg, java.nio.file.Path path) {
        this.seg = seg;
        this.path = path;
    }

    long position() { return pos; }

    /** The whole mapped file, for readers that copy spans they have already bounds-checked. */
    MemorySegment segment() { return seg; }

    long remaining() { return seg.byteSize() - pos; }

    private void need(long n, String what) {
        if (n < 0 || n > remaining()) throw CalqException.file(path, "truncated: " + what + " at byte " + pos + " runs past the end of the file");
    }

    int u8() {
        need(1, "a byte");
        return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xff;
    }

    int i16() {
        need(2, "a 16-bit value");
        int v = seg.get(Tensor.I16, pos);
        pos += 2;
        return v;
    }

    int i32() {
        need(4, "a 32-bit value");
        int v = seg.get(Tensor.I32, pos);
        pos += 4;
        return v;
    }

    long i64() {
        need(8, "a 64-bit value");
        long v = seg.get(Tensor.I64, pos);
        pos += 8;
        return v;
    }

    /** The next {@code n} bytes as a slice of the mapped file (no copy), advancing past them. */
    MemorySegment slice(long n, String what) {
        need(n, what);
        MemorySegment s = seg.asSlice(pos, n);
        pos += n;
        return s;
    }

    String string(String what) {
        long len = i64();
        if (len < 0 || len > remaining())
            throw CalqException.file(path, what + ": string length " + Long.toUnsignedString(len) + " runs past the end of the file");
        if (len > Integer.MAX_VALUE - 8) throw CalqException.file(path, what + ": string too long");
        byte[] b = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        // Lenient decoding: llama.cpp does not validate UTF-8 either, and some vocabularies hold partial sequences.
        return new String(b, StandardCharsets.UTF_8);
    }
}
