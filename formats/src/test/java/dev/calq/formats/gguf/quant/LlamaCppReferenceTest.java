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

    @ParameterizedTest
    @EnumSource(names = {"Q8_0"})
    void q8IgnoresImportanceLikeLlamaCpp(GgmlType type) throws IOException {
        float[] x = floats("input.bin");
        assertArrayEquals(resource("q8_0.bin"), Quantizers.quantize(type, x, ROWS, COLS, floats("imatrix.bin")));
    }
}
