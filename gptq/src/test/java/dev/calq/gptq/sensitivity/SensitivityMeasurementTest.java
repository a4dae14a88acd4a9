package dev.calq.gptq.sensitivity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.gptq.OutputError;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SensitivityMeasurementTest {
    @Test
    void absoluteOutputErrorIsTheTraceInDouble() {
        Random rnd = new Random(3);
        int out = 7, in = 37; // not a multiple of the vector width
        float[] w = new float[out * in], q = new float[out * in], h = new float[in * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
            q[i] = w[i] + (float) (0.1 * rnd.nextGaussian());
        }
        double[][] x = new double[50][in];
        for (double[] r : x) for (int j = 0; j < in; j++) r[j] = rnd.nextGaussian();
        for (int i = 0; i < in; i++) for (int j = 0; j < in; j++) {
            double s = 0;
            for (double[] r : x) s += r[i] * r[j];
            h[i * in + j] = (float) s;
        }
        double want = 0;
        for (int r = 0; r < out; r++) for (int i = 0; i < in; i++) for (int j = 0; j < in; j++)
            want += ((double) w[r * in + i] - q[r * in + i]) * h[i * in + j] * ((double) w[r * in + j] - q[r * in + j]);
        assertEquals(want, OutputError.absoluteOutputError(w, q, out, in, h), 1e-4 * want);
    }

    @Test
    void gainsInterpolateBetweenMeasuredLayers() {
        int[] at = {0, 4, 7};
        double[] g = {1, 16, 2};
        assertEquals(1, SensitivityMeasurement.interpolate(at, g, 0));
        assertEquals(4, SensitivityMeasurement.interpolate(at, g, 2), 1e-12, "geometric: sqrt(1 * 16)");
        assertEquals(16, SensitivityMeasurement.interpolate(at, g, 4));
        assertEquals(16 * Math.pow(2.0 / 16, 1.0 / 3), SensitivityMeasurement.interpolate(at, g, 5), 1e-12);
        assertEquals(2, SensitivityMeasurement.interpolate(at, g, 7));
        assertEquals(0.5, SensitivityMeasurement.interpolate(new int[] {0, 2}, new double[] {0, 1}, 1), 1e-12, "linear with a zero end");
        assertEquals(7, SensitivityMeasurement.interpolate(new int[] {0}, new double[] {7}, 3));
    }

    @Test
    void kindsAndUsableTypes() {
        assertEquals("attn_q", SensitivityMeasurement.kindOf("blk.12.attn_q.weight"));
        assertEquals("output", SensitivityMeasurement.kindOf("output.weight"));
        List<GgmlType> c = List.of(GgmlType.IQ2_XXS, GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q4_0);
        assertEquals(List.of(GgmlType.Q8_0, GgmlType.Q4_0), SensitivityMeasurement.usable(c, 96, true), "256-blocks do not divide 96");
        assertEquals(List.of(GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q4_0), SensitivityMeasurement.usable(c, 512, false), "IQ2 needs importance");
        assertEquals(c, SensitivityMeasurement.usable(c, 512, true));
    }

    @Test
    void codecErrorFallsWithBitsOnRandomWeights() {
        Random rnd = new Random(8);
        int out = 4, in = 256;
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        float[] h = new float[in * in];
        for (int i = 0; i < in; i++) h[i * in + i] = 1;
        double last = Double.POSITIVE_INFINITY;
        for (GgmlType t : List.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_0)) {
            double e = OutputError.absoluteOutputError(w, SensitivityMeasurement.roundTrip(t, w, out, in, null), out, in, h);
            assertTrue(e < last, t + ": " + e + " not below " + last);
            last = e;
        }
    }
}
