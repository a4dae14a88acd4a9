package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.quant.GridConfig;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GridQuantizerTest {
    @Test
    void everyGroupLandsOnAFourBitGridWithinHalfAStep() {
        Random rnd = new Random(8);
        int rows = 7, cols = 48, gs = 16;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (boolean sym : new boolean[] {false, true}) {
            GridQuantizer q = new GridQuantizer(GridConfig.defaults().withGroupSize(gs).withSym(sym));
            float[] f = q.fakeQuantize(w, rows, cols);
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols; g += gs) {
                    Set<Float> levels = new HashSet<>();
                    float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                    for (int c = g; c < g + gs; c++) {
                        levels.add(f[r * cols + c]);
                        min = Math.min(min, w[r * cols + c]);
                        max = Math.max(max, w[r * cols + c]);
                    }
                    assertTrue(levels.size() <= 16);
                    float step = (sym ? 2 * Math.max(-min, max) : max - Math.min(0, min)) / 15;
                    for (int c = g; c < g + gs; c++)
                        assertEquals(w[r * cols + c], f[r * cols + c], step * 0.51 + 1e-6, "sym=" + sym);
                }
        }
    }
}
