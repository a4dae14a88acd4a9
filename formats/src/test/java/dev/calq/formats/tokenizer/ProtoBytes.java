package dev.calq.formats.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Test helper: writes protobuf wire bytes so tests can build small SentencePiece models by hand. */
final class ProtoBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    ProtoBytes varint(int field, long value) {
        tag(field, 0);
        rawVarint(value);
        return this;
    }

    ProtoBytes fixed32(int field, float value) {
        tag(field, 5);
        int bits = Float.floatToIntBits(value);
        for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
        return this;
    }

    ProtoBytes fixed64(int field, long value) {
        tag(field, 1);
        for (int i = 0; i < 8; i++) out.write((int) (value >>> (8 * i)));
        return this;
    }

    ProtoBytes string(int field, String s) { return bytes(field, s.getBytes(StandardCharsets.UTF_8)); }

    ProtoBytes message(int field, ProtoBytes m) { return bytes(field, m.toByteArray()); }

    ProtoBytes bytes(int field, byte[] b) {
        tag(field, 2);
        rawVarint(b.length);
        out.writeBytes(b);
        return this;
    }

    byte[] toByteArray() { return out.toByteArray(); }

    private void tag(int field, int wire) { rawVarint((long) field << 3 | wire); }

    private void rawVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    static ProtoBytes piece(String text, float score, int type) {
        return new ProtoBytes().string(1, text).fixed32(2, score).varint(3, type);
    }
}
