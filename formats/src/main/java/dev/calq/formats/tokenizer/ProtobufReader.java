package dev.calq.formats.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The few protocol-buffer wire rules a SentencePiece model needs: varints, fixed 32/64-bit words and
 * length-delimited fields. Hand-written so that {@code formats} needs no protobuf runtime. Every read checks
 * bounds and throws {@link MalformedException} (which the caller turns into a "FILE: problem" message).
 */
final class ProtobufReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    static final class MalformedException extends RuntimeException {
        MalformedException(String message) { super(message); }
    }

    private final byte[] buf;
    private int pos;
    private final int end;

    ProtobufReader(byte[] buf, int start, int end) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
    }

    boolean hasMore() { return pos < end; }

    int position() { return pos; }

    /** The next tag (field number << 3 | wire type). */
    int readTag() {
        long tag = readVarint();
        if (tag <= 0 || tag > Integer.MAX_VALUE) throw new MalformedException("bad protobuf tag " + tag + " at byte " + pos);
        return (int) tag;
    }

    long readVarint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw new MalformedException("truncated varint at byte " + pos);
            byte b = buf[pos++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) return value;
        }
        throw new MalformedException("varint longer than 10 bytes at byte " + pos);
    }

    /** An int32 field: negative values are sign-extended to ten bytes on the wire, so the low 32 bits are the value. */
    int readInt32() { return (int) readVarint(); }

    boolean readBool() { return readVarint() != 0; }

    float readFloat() {
        need(4);
        int bits = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    /** A reader over the next length-delimited field's bytes; this reader moves past them. */
    ProtobufReader readMessage() {
        int len = readLength();
        ProtobufReader sub = new ProtobufReader(buf, pos, pos + len);
        pos += len;
        return sub;
    }

    String readString() {
        int len = readLength();
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /** Skips a field of the given wire type whose tag was just read. */
    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> { need(8); pos += 8; }
            case LENGTH_DELIMITED -> { int len = readLength(); pos += len; }
            case FIXED32 -> { need(4); pos += 4; }
            default -> throw new MalformedException("unsupported protobuf wire type " + wireType + " at byte " + pos);
        }
    }

    private int readLength() {
        long len = readVarint();
        if (len < 0 || len > end - pos) throw new MalformedException("field length " + len + " runs past the end at byte " + pos);
        return (int) len;
    }

    private void need(int n) {
        if (end - pos < n) throw new MalformedException("truncated field at byte " + pos);
    }
}
