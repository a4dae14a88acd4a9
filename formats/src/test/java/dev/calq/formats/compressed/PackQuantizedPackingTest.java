package dev.calq.formats.compressed;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PackQuantizedPackingTest {
    @Test
    void fourBitWordsHoldEightValuesLowestFirstAlongEachRow() {
        int[] codes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, /* row 1 */ 15, 0, 0, 0, 0, 0, 0, 9, 14, 13};
        // 10 columns: two words a row, the second holding two values and six zero pads.
        assertArrayEquals(new int[] {0x87654321, 0x000000A9, 0x9000000F, 0x000000DE}, PackQuantizedPacking.packRows(codes, 2, 10, 4));
    }

    @Test
    void threeBitWordsHoldTenWholeValuesAndLeaveTheTopTwoBitsEmpty() {
        int[] v = {7, 6, 5, 4, 3, 2, 1, 0, 7, 7, /* next word */ 5};
        int w0 = 0;
        for (int k = 0; k < 10; k++) w0 |= v[k] << (3 * k);
        assertArrayEquals(new int[] {w0, 5}, PackQuantizedPacking.packRows(v, 1, 11, 3));
        assertEquals(0, w0 >>> 30);
        assertEquals(2, PackQuantizedPacking.words(11, 3));
        assertEquals(10, PackQuantizedPacking.packFactor(3));
    }

    @Test
    void zeroPointsPackDownTheOutputDimension() {
        // [out=9][groups=2] zero points at 4 bits: word row 0 holds outputs 0..7 of each group, word row 1 output 8.
        int[] z = new int[18];
        for (int o = 0; o < 9; o++) {
            z[o * 2] = o;
            z[o * 2 + 1] = 15 - o;
        }
        assertArrayEquals(new int[] {0x76543210, 0x89ABCDEF, 8, 7}, PackQuantizedPacking.packColumns(z, 9, 2, 4));
    }

    @Test
    void packedValuesUnpackToTheSameIntegersAtEveryWidth() {
        Random rnd = new Random(3);
        for (int bits = 1; bits <= 8; bits++) {
            int rows = 7, cols = 37; // not a multiple of any pack factor
            int[] v = new int[rows * cols];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(1 << bits);
            int[] p = PackQuantizedPacking.packRows(v, rows, cols, bits);
            assertEquals(rows * PackQuantizedPacking.words(cols, bits), p.length);
            assertArrayEquals(v, PackQuantizedPacking.unpackRows(p, rows, cols, bits), "rows, bits " + bits);
            int[] c = PackQuantizedPacking.packColumns(v, rows, cols, bits);
            assertEquals(PackQuantizedPacking.words(rows, bits) * cols, c.length);
            assertArrayEquals(v, PackQuantizedPacking.unpackColumns(c, rows, cols, bits), "columns, bits " + bits);
        }
        assertThrows(IllegalArgumentException.class, () -> PackQuantizedPacking.packFactor(9));
    }
}
