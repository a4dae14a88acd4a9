package dev.calq.gptq.sensitivity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.gptq.OutputError;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RowSampleTest {
    @Test
    void evenSampleSizesAndScale() {
        assertEquals(100, RowSample.even(100, 0).size(), "0: every row");
        assertEquals(1.0, RowSample.even(100, 0).scale());
        assertEquals(64, RowSample.even(512, 64).size());
        assertEquals(8.0, RowSample.even(512, 64).scale());
        assertEquals(2000, RowSample.even(32000, 64).size(), "never under 1/16 of the rows");
        assertEquals(37, RowSample.even(37, 64).size(), "never more rows than there are");
        float[] w = new float[10 * 3];
        for (int i = 0; i < w.length; i++) w[i] = i;
        float[] rows = RowSample.even(10, 2).rows(w, 3);
        assertEquals(2 * 3, rows.length);
        assertEquals(2 * 3, rows[0], "row 2: the middle of the first half");
        assertEquals(7 * 3, rows[3], "row 7: the middle of the second half");
    }

    @Test
    void weightedSampleIsTheExactSumWhenEveryPositiveRowIsDrawn() {
        Random rnd = new Random(4);
        int rows = 40, cols = 9; // cols not a multiple of the vector width
        double[] weight = new double[rows];
        for (int i = 0; i < rows; i += 3) weight[i] = 1 + rnd.nextInt(5);
        float[] a = new float[rows * cols], b = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
        double want = 0;
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) want += weight[r] * Math.pow((double) a[r * cols + j] - b[r * cols + j], 2);
        RowSample s = RowSample.weighted(weight, 0);
        assertEquals(14, s.size(), "rows 0, 3, ..., 39");
        assertEquals(1.0, s.scale(), 1e-12);
        assertEquals(want, s.weightedSquares(s.rows(a, cols), s.rows(b, cols), cols), 1e-9 * want);
    }

    @Test
    void sampledHessianErrorEstimatesTheWholeTensor() {
        Random rnd = new Random(9);
        int out = 1024, in = 64;
        float[] w = new float[out * in], h = new float[in * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        double[][] x = new double[200][in];
        for (double[] r : x) for (int j = 0; j < in; j++) r[j] = rnd.nextGaussian() * (1 + j % 4);
        for (int i = 0; i < in; i++) for (int j = 0; j < in; j++) {
            double s = 0;
            for (double[] r : x) s += r[i] * r[j];
            h[i * in + j] = (float) s;
        }
        float[] q = SensitivityMeasurement.roundTrip(GgmlType.Q4_0, w, out, in, null);
        double exact = OutputError.absoluteOutputError(w, q, out, in, h);
        RowSample s = RowSample.even(out, 64);
        float[] ws = s.rows(w, in);
        double est = s.scale() * OutputError.absoluteOutputError(ws, SensitivityMeasurement.roundTrip(GgmlType.Q4_0, ws, s.size(), in, null), s.size(), in, h);
        assertTrue(Math.abs(est / exact - 1) < 0.1, "estimate " + est + " against " + exact);
    }
}
