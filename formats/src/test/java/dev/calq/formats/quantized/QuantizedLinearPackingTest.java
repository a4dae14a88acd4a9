package dev.calq.formats.quantized;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The packed codes give back exactly what went in, at every width, and dequantize as the plain formula does. */
class QuantizedLinearPackingTest {
    @Test
    void codesRoundTripAtEveryWidth() {
        Random rnd = new Random(3);
        for (int bits = 1; bits <= 10; bits++) {
            int out = 3, in = 37; // odd element count: the last byte of nibble packing is half used
            int groupSize = 16, groups = (in + groupSize - 1) / groupSize;
            int[] codes = new int[out * in];
            for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(1 << bits);
            float[] scales = new float[groups * out];
            int[] zeros = new int[groups * out];
            for (int i = 0; i < scales.length; i++) { scales[i] = rnd.nextFloat() + 0.1f; zeros[i] = rnd.nextInt(1 << bits); }
            int[] gIdx = new int[in];
            for (int c = 0; c < in; c++) gIdx[c] = c / groupSize;
            QuantizedLinear q = new QuantizedLinear(out, in, bits, groupSize, false, codes.clone(), scales, zeros, gIdx);
            assertArrayEquals(codes, q.codes(), "bits " + bits);
            for (int i = 0; i < codes.length; i++) assertEquals(codes[i], q.code(i), "bits " + bits + " code " + i);
            float[] w = q.dequantize();
            for (int r = 0; r < out; r++)
                for (int c = 0; c < in; c++) {
                    int g = gIdx[c] * out + r;
                    assertEquals(scales[g] * (float) (codes[r * in + c] - zeros[g]), w[r * in + c], "bits " + bits);
                }
            long codeBytes = bits <= 4 ? (codes.length + 1) / 2 : bits <= 8 ? codes.length : 4L * codes.length;
            assertEquals(codeBytes + 4L * (scales.length + zeros.length + gIdx.length), q.heapBytes(), "bits " + bits);
        }
    }

    @Test
    void codebookCodesDequantizeThroughTheTable() {
        float[] book = new float[16];
        for (int i = 0; i < 16; i++) book[i] = -1 + i / 7.5f;
        int[] codes = {0, 15, 7, 8, 3};
        QuantizedLinear q = new QuantizedLinear(1, 5, 4, 64, true, codes, new float[] {2f}, new int[] {0}, new int[5], book);
        float[] w = q.dequantize();
        for (int i = 0; i < 5; i++) assertEquals(book[codes[i]] * 2f, w[i]);
    }

    @Test
    void aCodeOutsideItsBitsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new QuantizedLinear(1, 2, 4, 2, true, new int[] {3, 16}, new float[] {1f}, new int[] {0}, new int[2]));
        assertTrue(e.getMessage().contains("outside 4 bits"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new QuantizedLinear(1, 2, 4, 2, true, new int[] {-1, 0}, new float[] {1f}, new int[] {0}, new int[2]));
    }
}
