package dev.calq.formats.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AwqPackingTest {
    @Test
    void nibblesFollowAutoAwqOrder() {
        // Columns 0..7 hold their own index: nibble i holds column ORDER[i] = 0,2,4,6,1,3,5,7.
        int[] packed = AwqPacking.packRows(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 1, 8);
        assertEquals(0x75316420, packed[0]);
        // A single 0xF in column 1 lands in nibble 4 (bits 16..19).
        assertEquals(0xF << 16, AwqPacking.packRows(new int[] {0, 15, 0, 0, 0, 0, 0, 0}, 1, 8)[0]);
    }

    @Test
    void packUnpackIsExactOnRandomCodes() {
        Random rnd = new Random(3);
        int rows = 13, cols = 40;
        int[] v = new int[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(16);
        assertArrayEquals(v, AwqPacking.unpackRows(AwqPacking.packRows(v, rows, cols), rows, cols / 8));
        int out = 24, in = 11;
        int[] codes = new int[out * in];
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(16);
        int[] qweight = AwqPacking.packWeight(codes, out, in);
        assertEquals(in * out / 8, qweight.length);
        assertArrayEquals(codes, AwqPacking.unpackWeight(qweight, out, in));
        // qweight row i packs the codes of input i across outputs: check one word against the definition.
        int i = 5, j = 2, word = 0;
        for (int n = 0; n < 8; n++) word |= codes[(8 * j + AwqPacking.ORDER[n]) * in + i] << (4 * n);
        assertEquals(word, qweight[i * (out / 8) + j]);
    }

    @Test
    void rejectsValuesAndShapesThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> AwqPacking.packRows(new int[] {16, 0, 0, 0, 0, 0, 0, 0}, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> AwqPacking.packRows(new int[] {-1, 0, 0, 0, 0, 0, 0, 0}, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> AwqPacking.packRows(new int[12], 1, 12));
    }
}
