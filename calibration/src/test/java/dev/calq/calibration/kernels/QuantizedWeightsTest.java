package dev.calq.calibration.kernels;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.quantized.QuantizedLinear;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The dequantizing view gives the same floats as QuantizedLinear.dequantize() for any block, and a matmul over it
 * gives the same bits as over the float32 copy (so a run that installs the view writes the same outputs).
 */
class QuantizedWeightsTest {
    private static QuantizedLinear random(Random rnd, int out, int in, int bits, int group, boolean actOrder, boolean codebook) {
        int groups = (in + group - 1) / group;
        int[] codes = new int[out * in];
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(1 << bits);
        float[] scales = new float[groups * out];
        int[] zeros = new int[groups * out];
        for (int i = 0; i < scales.length; i++) { scales[i] = 0.01f + rnd.nextFloat(); zeros[i] = rnd.nextInt(1 << bits); }
        int[] gIdx = new int[in];
        for (int c = 0; c < in; c++) gIdx[c] = actOrder ? rnd.nextInt(groups) : c / group;
        float[] book = null;
        if (codebook) {
            book = new float[1 << bits];
            for (int i = 0; i < book.length; i++) book[i] = (float) rnd.nextGaussian();
        }
        return new QuantizedLinear(out, in, bits, group, false, codes, scales, zeros, gIdx, book);
    }

    @Test
    void blocksMatchThePlainFormula() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 12; trial++) {
            int out = 1 + rnd.nextInt(40), in = 1 + rnd.nextInt(70), bits = new int[] {2, 3, 4, 8}[trial % 4];
            QuantizedLinear q = random(rnd, out, in, bits, 1 + rnd.nextInt(32), trial % 3 == 0, trial % 4 == 2);
            int[] codes = q.codes();
            QuantizedWeights view = new QuantizedWeights(q);
            int r0 = rnd.nextInt(out), rn = 1 + rnd.nextInt(out - r0), c0 = rnd.nextInt(in), cn = 1 + rnd.nextInt(in - c0), stride = cn + 3;
            float[] block = new float[rn * stride + 5];
            view.copyBlock(r0, rn, c0, cn, block, 5, stride);
            for (int r = 0; r < rn; r++)
                for (int c = 0; c < cn; c++) {
                    int row = r0 + r, col = c0 + c, g = q.gIdx()[col] * out + row, code = codes[row * in + col];
                    double want = q.codebook() != null ? (double) q.codebook()[code] * q.scales()[g] : (double) q.scales()[g] * (code - q.zeros()[g]);
                    assertEquals((float) want, block[5 + r * stride + c], "trial " + trial + " (" + row + "," + col + ")");
                }
            float[] rows = new float[out * in];
            view.copyRows(0, out, rows, 0);
            assertArrayEquals(q.dequantize(), rows, "trial " + trial);
        }
        QuantizedWeights v = new QuantizedWeights(random(rnd, 3, 5, 4, 2, false, false));
        assertThrows(IndexOutOfBoundsException.class, () -> v.copyBlock(2, 2, 0, 1, new float[10], 0, 1));
    }

    @Test
    void aMatmulOverTheViewEqualsOneOverTheFloatCopy() {
        Random rnd = new Random(12);
        int m = 37, out = 45, in = 131;
        QuantizedLinear q = random(rnd, out, in, 4, 32, false, false);
        float[] x = new float[m * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] viaView = new float[m * out], viaCopy = new float[m * out];
        MatMul.mulTransposed(x, m, new QuantizedWeights(q), viaView);
        MatMul.mulTransposed(x, m, WeightMatrix.of(q.dequantize(), out, in), viaCopy);
        assertArrayEquals(viaCopy, viaView);
    }
}
