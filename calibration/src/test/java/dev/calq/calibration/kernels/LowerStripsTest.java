package dev.calq.calibration.kernels;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LowerStripsTest {
    @Test
    void rowsWrittenInPiecesReadBackAndCopyOutAsTheRowMajorLowerTriangle() {
        Random rnd = new Random(1);
        for (int n : new int[] {0, 1, LowerStrips.WIDTH - 1, LowerStrips.WIDTH, 2 * LowerStrips.WIDTH + 5, 150}) {
            LowerStrips x = new LowerStrips(n);
            double[] ref = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) ref[i * n + j] = rnd.nextGaussian();
                int cut = rnd.nextInt(i + 1); // two pieces, one possibly empty, crossing strips
                x.setRow(i, 0, cut, ref, i * n);
                x.setRow(i, cut, i + 1 - cut, ref, i * n + cut);
            }
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) assertEquals(ref[i * n + j], x.get(i, j), "n " + n + " (" + i + ", " + j + ")");
            double[] out = new double[n * n];
            java.util.Arrays.fill(out, 7);
            x.copyTo(out);
            assertArrayEquals(ref, out, "n " + n);
        }
    }

    @Test
    void writingAboveTheDiagonalOrPastTheEndIsRefused() {
        LowerStrips x = new LowerStrips(40);
        double[] row = new double[41];
        assertThrows(IllegalArgumentException.class, () -> x.setRow(3, 0, 5, row, 0));
        assertThrows(IllegalArgumentException.class, () -> x.setRow(40, 0, 1, row, 0));
        assertThrows(IllegalArgumentException.class, () -> x.setRow(5, -1, 2, row, 0));
    }
}
