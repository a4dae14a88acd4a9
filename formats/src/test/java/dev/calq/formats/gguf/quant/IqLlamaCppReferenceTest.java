package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.LlamaCppReferenceTest.COLS;
import static dev.calq.formats.gguf.quant.LlamaCppReferenceTest.ROWS;
import static dev.calq.formats.gguf.quant.LlamaCppReferenceTest.floats;
import static dev.calq.formats.gguf.quant.LlamaCppReferenceTest.resource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The codebook types against llama.cpp: the blocks ggml wrote for ggml-reference/input.bin (with and, where ggml
 * allows it, without the importance vector), and ggml's own dequantization of its blocks (see the README there).
 */
class IqLlamaCppReferenceTest {

    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ3_XXS", "IQ2_XS", "IQ2_S", "IQ3_S", "IQ1_S", "IQ1_M"})
    void withImportanceMatchesLlamaCpp(GgmlType type) throws IOException {
        byte[] expected = resource(type.ggmlName() + "-imatrix.bin");
        byte[] actual = Quantizers.quantize(type, floats("input.bin"), ROWS, COLS, floats("imatrix.bin"));
        assertEquals(expected.length, actual.length);
        assertArrayEquals(expected, actual, type + " bytes with importance differ from llama.cpp");
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ3_XXS", "IQ2_XS", "IQ2_S", "IQ3_S", "IQ1_S", "IQ1_M"})
    void decodeMatchesLlamaCppDequantization(GgmlType type) throws IOException {
        float[] expected = floats(type.ggmlName() + "-imatrix.dequant.bin");
        float[] actual = Quantizers.dequantize(type, resource(type.ggmlName() + "-imatrix.bin"), ROWS, COLS);
        assertArrayEquals(expected, actual, 0f, type + " dequantization differs from llama.cpp's");
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ1_S"})
    void refusesWithoutImportance(GgmlType type) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantizers.quantize(type, new float[256], 1, 256, null));
        assertEquals(type + " needs an importance matrix", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ3_XXS", "IQ2_S", "IQ3_S", "IQ1_M"})
    void withoutImportanceMatchesLlamaCpp(GgmlType type) throws IOException {
        byte[] expected = resource(type.ggmlName() + ".bin");
        assertArrayEquals(expected, Quantizers.quantize(type, floats("input.bin"), ROWS, COLS, null), type + " bytes differ from llama.cpp");
    }

    @Test
    void gridsHaveTheirDocumentedShape() {
        assertEquals(256, IqGrid.Book.IQ2XXS.grid().size);
        assertEquals(8, IqGrid.Book.IQ2XXS.grid().dim);
    }
}
