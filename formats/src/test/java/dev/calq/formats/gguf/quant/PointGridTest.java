package dev.calq.formats.gguf.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The header-choice / point-choice seam that vector GPTQ inside the IQ1-IQ3 codebook types is built on. */
class PointGridTest {
    private static final int COLS = 512;

    private static float[] importance(long seed) {
        Random r = new Random(seed);
        float[] qw = new float[COLS];
        for (int i = 0; i < COLS; i++) qw[i] = (float) Math.exp(2 * r.nextGaussian());
        return qw;
    }

    private static byte[] chosen(PointGrid g, float[] x, float[] qw) {
        GgmlType t = g.type();
        byte[] out = new byte[(int) t.rowBytes(COLS)];
        for (int b = 0; b < COLS / 256; b++) g.chooseScales(x, 0, COLS, qw, b, out, b * t.typeSize());
        return out;
    }

    /** Choosing every super-block's header one at a time writes exactly the bytes the row encoder writes. */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void blockByBlockEqualsRowEncoder(GgmlType t) {
        PointGrid g = Quantizers.pointGrid(t);
        float[] x = QuantRoundTripTest.normals(5, COLS, true);
        float[] qw = importance(6);
        assertArrayEquals(Quantizers.quantize(t, x, 1, COLS, qw), chosen(g, x, qw), t.toString());
        assertEquals(256 % g.dim(), 0);
        assertTrue(g.points() >= 256, t + ": " + g.points() + " points");
    }

    /** Reading each group's point and the header's element decoding reproduces the decoder bit for bit. */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void elementsAndPointsAreTheDecoder(GgmlType t) {
        PointGrid g = Quantizers.pointGrid(t);
        float[] x = QuantRoundTripTest.normals(7, COLS, true);
        byte[] bytes = chosen(g, x, importance(8));
        float[] decoded = Quantizers.dequantize(t, bytes, 1, COLS);
        float[] mul = new float[256], add = new float[256], sgn = new float[256];
        for (int b = 0; b < COLS / 256; b++) {
            int o = b * t.typeSize();
            g.elements(bytes, o, mul, add, sgn);
            for (int i = 0; i < 256; i++) {
                float v = g.value(g.point(bytes, o, i / g.dim()), i, mul, add, sgn);
                assertEquals(Float.floatToIntBits(decoded[256 * b + i]), Float.floatToIntBits(v), t + " element " + (256 * b + i));
            }
        }
    }

    /** Setting a group's point changes that group's values (to exactly the point under the header) and no other bit. */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void setPointChangesOnlyItsGroup(GgmlType t) {
        PointGrid g = Quantizers.pointGrid(t);
        float[] x = QuantRoundTripTest.normals(9, COLS, true);
        byte[] bytes = chosen(g, x, importance(10));
        int d = g.dim(), groups = 256 / d, o = t.typeSize();
        float[] mul = new float[256], add = new float[256], sgn = new float[256];
        g.elements(bytes, o, mul, add, sgn);
        Random r = new Random(11);
        for (int trial = 0; trial < 40; trial++) {
            int group = trial < groups ? trial : r.nextInt(groups);
            int p = trial % 3 == 0 ? g.points() - 1 : r.nextInt(g.points());
            byte[] before = bytes.clone();
            float[] old = Quantizers.dequantize(t, before, 1, COLS);
            g.setPoint(bytes, o, group, p);
            assertEquals(p, g.point(bytes, o, group), t + " group " + group);
            float[] now = Quantizers.dequantize(t, bytes, 1, COLS);
            for (int i = 0; i < COLS; i++) {
                int e = i - 256;
                boolean mine = e >= group * d && e < (group + 1) * d;
                float want = mine ? g.value(p, e, mul, add, sgn) : old[i];
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(now[i]), t + " element " + i + " after group " + group);
            }
            for (int k = 0; k < groups; k++) if (k != group) assertEquals(g.point(before, o, k), g.point(bytes, o, k));
            float[] m2 = new float[256], a2 = new float[256], s2 = new float[256];
            g.elements(bytes, o, m2, a2, s2);
            assertArrayEquals(mul, m2);
            assertArrayEquals(add, a2);
            assertArrayEquals(sgn, s2);
        }
    }

    /** The vectorised search against a plain double loop over every point (group counts not a multiple of the lanes). */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void nearestPointIsTheWeightedArgmin(GgmlType t) {
        PointGrid g = Quantizers.pointGrid(t);
        float[] x = QuantRoundTripTest.normals(12, COLS, true);
        float[] qw = importance(13);
        byte[] bytes = chosen(g, x, qw);
        float[] mul = new float[256], add = new float[256], sgn = new float[256];
        g.elements(bytes, 0, mul, add, sgn);
        Random r = new Random(14);
        float[] cost = new float[g.points()];
        int d = g.dim(), moved = 0;
        for (int group = 0; group < 256 / d; group++) {
            float[] y = new float[d];
            for (int j = 0; j < d; j++) y[j] = x[group * d + j] + (float) (0.5 * r.nextGaussian());
            int inc = g.point(bytes, 0, group);
            int got = g.nearestPoint(y, 0, qw, group * d, mul, add, sgn, group * d, inc, cost);
            double[] err = new double[g.points()];
            for (int p = 0; p < g.points(); p++) {
                for (int j = 0; j < d; j++) {
                    double diff = (double) mul[group * d + j] * sgn[group * d + j] * (g.table(p, j) + add[group * d + j]) - y[j];
                    err[p] += qw[group * d + j] * diff * diff;
                }
            }
            double min = Double.MAX_VALUE;
            for (double e : err) min = Math.min(min, e);
            assertTrue(err[got] <= min * (1 + 1e-4) + 1e-9, t + " group " + group + ": " + err[got] + " vs " + min);
            assertTrue(err[got] <= err[inc] * (1 + 1e-5) + 1e-9, t + " group " + group + ": worse than the incumbent");
            if (got != inc) moved++;
        }
        assertTrue(moved > 0, t + ": the perturbed groups never moved");
    }

    @Test
    void onlyTheGroupedCodebookTypes() {
        assertFalse(Quantizers.hasPointGrid(GgmlType.IQ4_XS));
        assertTrue(Quantizers.hasPointGrid(GgmlType.IQ1_M));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantizers.pointGrid(GgmlType.Q4_K));
        assertTrue(e.getMessage().contains("q4_K"), e.getMessage());
    }
}
