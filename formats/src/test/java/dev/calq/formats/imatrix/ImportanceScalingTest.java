package dev.calq.formats.imatrix;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** AWQ's folded scales carried into the importance matrix: the entry of x / s, computed directly, matches. */
class ImportanceScalingTest {
    @Test
    void dividingTheActivationsByTheScalesDividesTheSumsOfSquares() {
        Random rnd = new Random(5);
        int tokens = 40, dim = 19;
        float[] s = new float[dim];
        for (int c = 0; c < dim; c++) s[c] = 0.3f + 2 * rnd.nextFloat();
        double[] sq = new double[dim], sum = new double[dim], sqScaled = new double[dim], sumScaled = new double[dim];
        for (int t = 0; t < tokens; t++)
            for (int c = 0; c < dim; c++) {
                double x = rnd.nextGaussian(), xs = x / s[c];
                sq[c] += x * x;
                sum[c] += x;
                sqScaled[c] += xs * xs;
                sumScaled[c] += xs;
            }
        ImportanceMatrix m = new ImportanceMatrix(Map.of("blk.0.attn_q.weight", ImportanceMatrix.Entry.of(f(sq), f(sum), tokens),
                "blk.0.ffn_down.weight", ImportanceMatrix.Entry.of(f(sq), f(sum), tokens)), 1, tokens, List.of("x"));
        ImportanceMatrix scaled = m.withInputScales(Map.of("blk.0.attn_q.weight", s, "blk.9.attn_q.weight", s));
        float[] got = scaled.importance("blk.0.attn_q.weight");
        for (int c = 0; c < dim; c++) {
            assertEquals(sqScaled[c] / tokens, got[c], 1e-5 * sqScaled[c] / tokens);
            assertEquals(sumScaled[c], scaled.entries().get("blk.0.attn_q.weight").sum()[c], 1e-4 * (1 + Math.abs(sumScaled[c])));
        }
        assertArrayEquals(m.importance("blk.0.ffn_down.weight"), scaled.importance("blk.0.ffn_down.weight"), "unscaled entries stay");
        assertNull(scaled.importance("blk.9.attn_q.weight"), "scales of absent entries add nothing");
        assertThrows(IllegalArgumentException.class, () -> m.withInputScales(Map.of("blk.0.attn_q.weight", new float[3])));
    }

    private static float[] f(double[] v) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) o[i] = (float) v[i];
        return o;
    }
}
