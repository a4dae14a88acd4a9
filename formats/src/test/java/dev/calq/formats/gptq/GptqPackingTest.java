package dev.calq.formats.gptq;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GptqPackingTest {

    @Test
    void packedWeightsUnpackToTheSameIntegers() {
        Random rnd = new Random(1);
        for (int bits : new int[] {2, 3, 4, 8}) {
            int out = 32 * 3, in = 64;
            int[] codes = new int[out * in];
            for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(1 << bits);
            int[] q = GptqPacking.packQweight(codes, out, in, bits);
            assertEquals(in * bits / 32 * out, q.length);
            assertArrayEquals(codes, GptqPacking.unpackQweight(q, out, in, bits), "bits " + bits);
            int groups = 3;
            int[] zeros = new int[groups * out];
            for (int i = 0; i < zeros.length; i++) zeros[i] = rnd.nextInt(1 << bits);
            int[] qz = GptqPacking.packQzeros(zeros, groups, out, bits);
            assertEquals(groups * out * bits / 32, qz.length);
            assertArrayEquals(zeros, GptqPacking.unpackQzeros(qz, groups, out, bits), "bits " + bits);
        }
    }

    @Test
    void fourBitWordsHoldEightValuesLowestFirstAlongTheInputDimension() {
        int out = 2, in = 8;
        int[] codes = {1, 2, 3, 4, 5, 6, 7, 8, /* row 1 */ 15, 0, 0, 0, 0, 0, 0, 9};
        int[] q = GptqPacking.packQweight(codes, out, in, 4);
        assertArrayEquals(new int[] {0x87654321, 0x9000000F}, q);
    }

    @Test
    void threeBitLayoutIsAutoGptqsWordByWordScheme() {
        Random rnd = new Random(2);
        int[] v = new int[32];
        for (int i = 0; i < 32; i++) v[i] = rnd.nextInt(8);
        // The three words as AutoGPTQ's packer describes them, written independently of the bit-stream code.
        int w0 = 0, w1 = 0, w2 = 0;
        for (int j = 0; j < 10; j++) w0 |= v[j] << (3 * j);
        w0 |= v[10] << 30;
        w1 |= (v[10] >> 2) & 1;
        for (int j = 0; j < 10; j++) w1 |= v[11 + j] << (3 * j + 1);
        w1 |= v[21] << 31;
        w2 |= (v[21] >> 1) & 3;
        for (int j = 0; j < 10; j++) w2 |= v[22 + j] << (3 * j + 2);
        int[] q = GptqPacking.packQweight(v, 1, 32, 3);
        assertArrayEquals(new int[] {w0, w1, w2}, q);
    }

    @Test
    void runsThatDoNotFillWholeWordsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GptqPacking.packQweight(new int[16], 1, 16, 3));
        assertTrue(GptqPacking.fillsWords(8, 4));
        assertFalse(GptqPacking.fillsWords(12, 4));
    }
}
