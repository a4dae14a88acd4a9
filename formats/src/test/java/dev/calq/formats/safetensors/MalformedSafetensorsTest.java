package dev.calq.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed-file fault gives one CalqException naming the file and the fault. */
class MalformedSafetensorsTest {
    @TempDir Path dir;

    private static final String OK_A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private void assertFault(Path file, String fragment) {
        CalqException e = assertThrows(CalqException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void shorterThanEightBytes() throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertFault(f, "too short");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Path f = Files.write(dir.resolve("trunc.safetensors"), b.array());
        assertFault(f, "header length 1000 runs past the end of the file");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5);
        Path f = Files.write(dir.resolve("huge.safetensors"), b.array());
        assertFault(f, "exceeds the 100,000,000-byte limit");
    }

    static Stream<Arguments> badHeaders() {
        return Stream.of(
                Arguments.of("invalid-json", "{\"a\":{", 0, "header is not valid JSON"),
                Arguments.of("trailing-garbage", "{} x", 0, "header is not valid JSON"),
                Arguments.of("not-object", "[1,2]", 0, "header is not a JSON object"),
                Arguments.of("duplicate", "{" + OK_A + "," + OK_A + "}", 8, "header is not valid JSON: Duplicate field 'a'"),
                Arguments.of("unknown-dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "tensor \"a\": unknown dtype F8_E4M3"),
                Arguments.of("missing-dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor \"a\": missing or non-string \"dtype\""),
                Arguments.of("missing-shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "tensor \"a\": missing or malformed \"shape\""),
                Arguments.of("missing-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "\"data_offsets\" (expected 2 integers)"),
                Arguments.of("three-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8, "\"data_offsets\" (expected 2 integers)"),
                Arguments.of("negative-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "\"shape\" must hold non-negative integers, found -2"),
                Arguments.of("float-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "\"shape\" must hold non-negative integers, found 2.5"),
                Arguments.of("entry-not-object", "{\"a\":7}", 0, "tensor \"a\": expected an object"),
                Arguments.of("metadata-not-string", "{\"__metadata__\":{\"k\":1}," + OK_A + "}", 8, "\"__metadata__\" value for \"k\" is not a string"),
                Arguments.of("reversed-offsets", "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, "end before they begin"),
                Arguments.of("outside-data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8, "lie outside the data section (8 bytes)"),
                Arguments.of("wrong-length", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "hold 8 bytes but shape [3] of F32 needs 12"),
                Arguments.of("overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows"),
                Arguments.of("overlap", "{" + OK_A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        "tensor \"b\" (bytes 4..12) overlaps tensor \"a\" (bytes 0..8)"),
                Arguments.of("hole", "{" + OK_A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16,
                        "bytes 8..12 of the data section belong to no tensor"),
                Arguments.of("uncovered-tail", "{" + OK_A + "}", 12, "the last 4 bytes of the data section belong to no tensor"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void badHeader(String label, String header, int dataBytes, String fragment) throws IOException {
        Path f = RawSafetensors.write(dir.resolve(label + ".safetensors"), header, dataBytes);
        assertFault(f, fragment);
    }

    @Test
    void invalidUtf8() throws IOException {
        byte[] h = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put(h);
        Path f = Files.write(dir.resolve("utf8.safetensors"), b.array());
        assertFault(f, "header is not valid JSON");
    }

    @Test
    void emptyFileAndMissingFile() throws IOException {
        assertFault(Files.write(dir.resolve("empty.safetensors"), new byte[0]), "too short");
        assertFault(dir.resolve("absent.safetensors"), "not found");
        assertFault(dir, "is a folder");
    }
}
