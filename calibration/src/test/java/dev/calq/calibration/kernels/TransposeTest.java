package dev.calq.calibration.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TransposeTest {
    @Test
    void transposesEveryShapeIncludingRaggedEdges() {
        Random rnd = new Random(3);
        for (int rows : new int[] {1, 5, 16, 17, 33, 64})
            for (int cols : new int[] {1, 7, 16, 31, 48, 100}) {
                int lds = cols + 3, ldd = rows + 5, srcOff = 2, dstOff = 4;
                float[] src = new float[srcOff + rows * lds], dst = new float[dstOff + cols * ldd];
                for (int i = 0; i < src.length; i++) src[i] = rnd.nextFloat();
                Transpose.transpose(src, srcOff, lds, rows, cols, dst, dstOff, ldd);
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++)
                        assertEquals(src[srcOff + r * lds + c], dst[dstOff + c * ldd + r], rows + "x" + cols + " at " + r + "," + c);
                for (int c = 0; c < cols; c++) // padding between columns is left alone
                    for (int r = rows; r < ldd && dstOff + c * ldd + r < dst.length; r++) assertEquals(0f, dst[dstOff + c * ldd + r]);
            }
    }
}
