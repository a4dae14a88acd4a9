package dev.calq.calibration.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.CalqException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import dev.calq.formats.quantized.QuantizedLinear;

class QuantGridTest {

    @Test
    void asymmetricRangeMapsMinAndMaxOntoTheGrid() {
        QuantGrid g = new QuantGrid(4, false, false);
        float[] w = {-1.5f, 0.25f, 3.0f, 1.0f};
        long p = g.findRow(w, 0, w.length);
        float scale = QuantGrid.scaleOf(p);
        int zero = QuantGrid.zeroOf(p);
        assertEquals(QuantGrid.toHalf(4.5f / 15), scale);
        assertEquals((int) Math.rint(1.5f / scale), zero);
        assertEquals(0, QuantGrid.code(-1.5f, scale, zero, 15));
        assertEquals(15, QuantGrid.code(3.0f, scale, zero, 15));
    }

    @Test
    void symmetricGridCentresTheZeroAndUsesTheLargerMagnitude() {
        QuantGrid g = new QuantGrid(3, true, false);
        float[] w = {-0.5f, 2.0f, 0.1f};
        long p = g.findRow(w, 0, w.length);
        assertEquals(4, QuantGrid.zeroOf(p));
        assertEquals(QuantGrid.toHalf(4.0f / 7), QuantGrid.scaleOf(p));
        // All-positive rows keep xmin = 0 as the reference does.
        long q = g.findRow(new float[] {1f, 2f}, 0, 2);
        assertEquals(QuantGrid.toHalf(2f / 7), QuantGrid.scaleOf(q));
    }

    @Test
    void allZeroGroupGetsUnitRange() {
        QuantGrid g = new QuantGrid(4, false, false);
        long p = g.findRow(new float[5], 0, 5);
        assertEquals(QuantGrid.toHalf(2f / 15), QuantGrid.scaleOf(p));
        assertEquals(0f, QuantGrid.quantize(0f, QuantGrid.scaleOf(p), QuantGrid.zeroOf(p), 15));
    }

    @Test
    void codesMatchAPlainDoubleLoopAndScalesAreHalfPrecision() {
        Random rnd = new Random(7);
        for (int bits : new int[] {2, 3, 4, 8}) {
            for (boolean sym : new boolean[] {true, false}) {
                QuantGrid g = new QuantGrid(bits, sym, false);
                int rows = 5, cols = 37, stride = 41;
                float[] w = new float[rows * stride];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                float[] s = new float[rows];
                int[] z = new int[rows];
                g.findParams(w, 2, stride, rows, cols, s, z, 0);
                int maxq = (1 << bits) - 1;
                for (int r = 0; r < rows; r++) {
                    assertEquals(s[r], Float.float16ToFloat(Float.floatToFloat16(s[r])));
                    double lo = 0, hi = 0;
                    for (int c = 0; c < cols; c++) {
                        lo = Math.min(lo, w[2 + r * stride + c]);
                        hi = Math.max(hi, w[2 + r * stride + c]);
                    }
                    for (int c = 0; c < cols; c++) {
                        float x = w[2 + r * stride + c];
                        int code = QuantGrid.code(x, s[r], z[r], maxq);
                        double ref = Math.max(0, Math.min(maxq, Math.rint((double) x / s[r]) + z[r]));
                        assertEquals(ref, code, 1e-9);
                        // A value inside the range lands within half a step (plus half-precision scale slack).
                        if (!sym) assertTrue(Math.abs(QuantGrid.dequantize(code, s[r], z[r]) - x) <= 0.5 * s[r] + 0.01 * (hi - lo),
                                "bits " + bits + " row " + r + " col " + c);
                    }
                }
            }
        }
    }

    @Test
    void asymmetricGridValuesSpanningTheWholeGridAreAFixedPoint() {
        // Values s*(c - z) whose codes reach 0 and maxq reproduce the same scale and zero, hence themselves.
        // (The reference's symmetric grid has no such fixed point: its range is +-7.5 steps for 4 bits.)
        Random rnd = new Random(3);
        float s = QuantGrid.toHalf(0.037f);
        int z = 6;
        float[] w = new float[64];
        for (int i = 0; i < w.length; i++) w[i] = s * (rnd.nextInt(16) - z);
        w[3] = s * (0 - z);
        w[9] = s * (15 - z);
        long p = new QuantGrid(4, false, false).findRow(w, 0, w.length);
        assertEquals(s, QuantGrid.scaleOf(p));
        assertEquals(z, QuantGrid.zeroOf(p));
        for (float v : w) assertEquals(v, QuantGrid.quantize(v, s, z, 15));
    }

    @Test
    void mseClipNeverIncreasesTheNormErrorAndShrinksOnOutliers() {
        Random rnd = new Random(11);
        float[] w = new float[1024];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.1f;
        w[5] = 0.6f; // a mild outlier: clipping it pays at 3 bits
        for (boolean sym : new boolean[] {true, false}) {
            long plain = new QuantGrid(3, sym, false).findRow(w, 0, w.length);
            long clip = new QuantGrid(3, sym, true).findRow(w, 0, w.length);
            assertTrue(err(w, clip) <= err(w, plain));
            assertTrue(QuantGrid.scaleOf(clip) < QuantGrid.scaleOf(plain));
        }
    }

    private static double err(float[] w, long p) {
        double e = 0;
        for (float v : w) e += Math.pow(Math.abs(QuantGrid.quantize(v, QuantGrid.scaleOf(p), QuantGrid.zeroOf(p), 7) - v), 2.4);
        return e;
    }

    @Test
    void dequantizeUsesTheGroupOfEachColumn() {
        int out = 2, in = 4;
        int[] codes = {0, 1, 2, 3, 4, 5, 6, 7};
        float[] scales = {1f, 2f, 10f, 20f};
        int[] zeros = {0, 1, 2, 3};
        int[] gIdx = {1, 0, 1, 0};
        QuantizedLinear q = new QuantizedLinear(out, in, 4, 2, false, codes, scales, zeros, gIdx);
        float[] w = q.dequantize();
        assertArrayEquals(new float[] {10f * (0 - 2), 1f * 1, 10f * 0, 1f * 3, 20f * (4 - 3), 2f * 4, 20f * 3, 2f * 6}, w);
        assertEquals(2, q.groups());
    }

    @Test
    void configRejectsBadOptionsAndIndivisibleShapes() {
        assertThrows(CalqException.class, () -> GridConfig.defaults().withBits(5));
        assertThrows(CalqException.class, () -> GridConfig.defaults().withGroupSize(0));
        CalqException e = assertThrows(CalqException.class, () -> GridConfig.defaults().checkShape("layer0.q", 200));
        assertTrue(e.getMessage().contains("not divisible by the group size 128"), e.getMessage());
        GridConfig.defaults().withGroupSize(-1).checkShape("x", 200);
    }
}
