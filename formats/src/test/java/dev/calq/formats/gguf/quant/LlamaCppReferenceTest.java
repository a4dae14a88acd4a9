package dev.calq.formats.gguf.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Byte-identity with llama.cpp: the resources under ggml-reference/ hold 8 rows x 512 columns of float weights,
 * a 512-entry importance vector, and the bytes llama.cpp's quantizers wrote for them (see the README there).
 */
class LlamaCppReferenceTest {
    static final int ROWS = 8;
    static final int COLS = 512;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = LlamaCppReferenceTest.class.getResourceAsStream("/ggml-reference/" + name)) {
            if (in == null) throw new IOException("missing test resource " + name);
            return in.readAllBytes();
        }
    }

    static float[] floats(String name) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(resource(name)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void withoutImportanceMatchesLlamaCpp(GgmlType type) throws IOException {
        float[] x = floats("input.bin");
        byte[] expected = resource(type.ggmlName() + ".bin");
        byte[] actual = Quantizers.quantize(type, x, ROWS, COLS, null);
        assertEquals(expected.length, actual.length);
        assertArrayEquals(expected, actual, type + " bytes differ from llama.cpp");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void withImportanceMatchesLlamaCpp(GgmlType type) throws IOException {
        float[] x = floats("input.bin");
        float[] im = floats("imatrix.bin");
        byte[] expected = resource(type.ggmlName() + "-imatrix.bin");
        byte[] actual = Quantizers.quantize(type, x, ROWS, COLS, im);
        assertArrayEquals(expected, actual, type + " bytes with importance differ from llama.cpp");
    }

    private static int half(byte[] b, int off) { return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8; }

    /** Which of two equal candidates ggml's sequential scans keep: the first, with 0 and -0 counting as equal. */
    @org.junit.jupiter.api.Test
    void tiesAndSignedZerosResolveAsInLlamaCpp() {
        float[] x = new float[4 * 32];
        x[32 + 3] = 0.5f; // block 1: +0.5 comes before -0.5
        x[32 + 7] = -0.5f;
        x[64 + 3] = -0.5f; // block 2: -0.5 first
        x[64 + 7] = 0.5f;
        x[96] = -0.0f; // block 3: -0 first, then zeros
        byte[] q40 = Quantizers.quantize(GgmlType.Q4_0, x, 1, 128, null);
        assertEquals(0x8000, half(q40, 0), "all-zero block: d = +0 / -8 = -0");
        assertEquals((byte) 0x88, q40[2]);
        assertEquals(Float.floatToFloat16(-0.0625f) & 0xffff, half(q40, 18));
        assertEquals(Float.floatToFloat16(0.0625f) & 0xffff, half(q40, 36));
        assertEquals(0x8000, half(q40, 54), "a -0 does not displace the initial +0 maximum");
        byte[] q41 = Quantizers.quantize(GgmlType.Q4_1, x, 1, 128, null);
        assertEquals(0x0000, half(q41, 2), "block 0: min is the first zero, +0");
        assertEquals(0x8000, half(q41, 60 + 2), "block 3: min is its first element, -0");
        byte[] q80 = Quantizers.quantize(GgmlType.Q8_0, new float[] {2.5f, -2.5f, 0.5f, -0.5f, 127f, 1.5f, -1.5f, 0f,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 32, null);
        assertArrayEquals(new byte[] {3, -3, 1, -1, 127, 2, -2, 0}, java.util.Arrays.copyOfRange(q80, 2, 10), "roundf: halves away from zero");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0"})
    void q8IgnoresImportanceLikeLlamaCpp(GgmlType type) throws IOException {
        float[] x = floats("input.bin");
        assertArrayEquals(resource("q8_0.bin"), Quantizers.quantize(type, x, ROWS, COLS, floats("imatrix.bin")));
    }
}
