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

/** The scale-choice / fixed-grid seam that GPTQ inside the ggml types is built on. */
class BlockGridTest {
    private static final int COLS = 768;
    private static final String TYPES = "Q8_0,Q4_0,Q4_1,Q5_0,Q5_1,Q2_K,Q3_K,Q4_K,Q5_K,Q6_K,IQ4_NL,IQ4_XS";

    private static float[] importance(long seed) {
        Random r = new Random(seed);
        float[] qw = new float[COLS];
        for (int i = 0; i < COLS; i++) qw[i] = (float) Math.exp(2 * r.nextGaussian());
        return qw;
    }

    /** Choosing every block's scales one at a time writes exactly the bytes the row encoder writes. */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void blockByBlockEqualsRowEncoder(GgmlType t) {
        BlockGrid g = Quantizers.blockGrid(t);
        float[] x = QuantRoundTripTest.normals(5, 2 * COLS, true);
        for (float[] qw : new float[][] {null, importance(6)}) {
            byte[] expected = Quantizers.quantize(t, x, 2, COLS, qw);
            byte[] actual = new byte[expected.length];
            int rowBytes = (int) t.rowBytes(COLS);
            for (int r = 0; r < 2; r++) {
                for (int b = 0; b < COLS / t.blockSize(); b++) g.chooseScales(x, r * COLS, COLS, qw, b, actual, r * rowBytes + b * t.typeSize());
            }
            assertArrayEquals(expected, actual, t + (qw == null ? " without" : " with") + " importance");
        }
    }

    /** Under a chosen header, any levels packed decode to exactly step * value + offset (zero of either sign). */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void packedLevelsDecodeOnTheGrid(GgmlType t) {
        BlockGrid g = Quantizers.blockGrid(t);
        int bs = t.blockSize();
        float[] x = QuantRoundTripTest.normals(7, COLS, true);
        byte[] block = new byte[t.typeSize()];
        g.chooseScales(x, 0, COLS, importance(8), 1, block, 0);
        float[] step = new float[bs];
        float[] offset = new float[bs];
        g.grid(block, 0, step, offset);
        float[] v = g.levelValues();
        Random r = new Random(9);
        for (int trial = 0; trial < 3; trial++) {
            byte[] levels = new byte[bs];
            for (int i = 0; i < bs; i++) levels[i] = (byte) (trial == 0 ? 0 : trial == 1 ? v.length - 1 : r.nextInt(v.length));
            g.packLevels(levels, block, 0);
            float[] y = Quantizers.dequantize(t, block, 1, bs);
            for (int i = 0; i < bs; i++) {
                float expected = step[i] * v[levels[i] & 0xff] + offset[i];
                assertEquals(expected, y[i], 0f, t + " element " + i + " level " + (levels[i] & 0xff));
            }
        }
    }

    /** nearestLevel finds the grid value closest to x, against a search over every level. */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_K", "Q6_K", "IQ4_NL"})
    void nearestLevelIsNearest(GgmlType t) {
        BlockGrid g = Quantizers.blockGrid(t);
        float[] v = g.levelValues();
        Random r = new Random(10);
        for (int trial = 0; trial < 2000; trial++) {
            float step = (float) r.nextGaussian() * 0.1f;
            float offset = (float) r.nextGaussian() * 0.1f;
            float x = (float) r.nextGaussian() * 2;
            int k = g.nearestLevel(x, step, offset);
            double best = Double.POSITIVE_INFINITY;
            for (float value : v) best = Math.min(best, Math.abs((double) step * value + offset - x));
            assertEquals(best, Math.abs((double) step * v[k] + offset - x), 1e-5 * (1 + Math.abs(x)), t + " x=" + x);
        }
    }

    @Test
    void uniformityAndUnsupportedTypes() {
        assertTrue(Quantizers.blockGrid(GgmlType.Q4_K).uniform());
        assertFalse(Quantizers.blockGrid(GgmlType.IQ4_XS).uniform());
        for (String n : TYPES.split(",")) assertTrue(Quantizers.hasBlockGrid(GgmlType.valueOf(n)), n);
        assertFalse(Quantizers.hasBlockGrid(GgmlType.F16));
        assertThrows(IllegalArgumentException.class, () -> Quantizers.blockGrid(GgmlType.F32));
    }
}
