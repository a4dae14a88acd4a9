package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.InputSite;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScaleFoldingTest {
    /** Random positive scales over a wide range, for every group: the unquantized layer must not change. */
    private static double foldRandomScales(SyntheticBlock block, boolean gqa) {
        Random rnd = new Random(5);
        int tokens = 7;
        float[] x = Fixtures.hiddenStates(tokens, block.hidden, 10, rnd);
        float[] before = block.forward(x, tokens);
        AwqConfig cfg = AwqConfig.DEFAULT.withGqaOutputScaling(gqa);
        int folded = 0;
        for (ScalingGroup g : ScalingGroup.values()) {
            int[] map = ScaleSearch.sourceChannels(block, g, cfg);
            if (map == null) continue;
            float[] s = new float[ScaleSearch.sourceDim(block, g)];
            for (int i = 0; i < s.length; i++) s[i] = (float) Math.exp(rnd.nextGaussian());
            ScaleFolding.apply(block, null, new ScaleChoice(g, s, ScaleSearch.expand(s, map), 0.5, 0, 0, new double[0]));
            folded++;
        }
        assertEquals(gqa || block.heads == block.kv ? 4 : 3, folded);
        return Fixtures.maxRelDiff(before, block.forward(x, tokens));
    }

    @Test
    void foldingKeepsTheLayerOutputWithMultiHeadAttention() {
        assertTrue(foldRandomScales(new SyntheticBlock(24, 4, 4, 6, 40, true, 1), false) < 1e-5);
    }

    @Test
    void foldingKeepsTheLayerOutputWithGroupedQueryAttentionScaling() {
        assertTrue(foldRandomScales(new SyntheticBlock(24, 6, 2, 5, 37, true, 2), true) < 1e-5);
    }

    @Test
    void groupedQueryAttentionSkipsValueToOutputUnlessAsked() {
        SyntheticBlock block = new SyntheticBlock(24, 6, 2, 5, 37, false, 3);
        assertNull(ScaleSearch.sourceChannels(block, ScalingGroup.ATTN_OUT, AwqConfig.DEFAULT));
        int[] map = ScaleSearch.sourceChannels(block, ScalingGroup.ATTN_OUT, AwqConfig.DEFAULT.withGqaOutputScaling(true));
        assertNotNull(map);
        // Query heads 0..2 read kv head 0, heads 3..5 kv head 1.
        assertEquals(3, map[2 * 5 + 3]);
        assertEquals(5 + 4, map[4 * 5 + 4]);
    }

    @Test
    void foldingDividesTheCachedInputs() {
        SyntheticBlock block = new SyntheticBlock(16, 2, 2, 8, 20, false, 4);
        LayerInputs cache = Fixtures.capture(block, 1, 5, 1, 9);
        float[] x = cache.samples(InputSite.MLP_OUT).getFirst().clone();
        float[] s = new float[20];
        for (int i = 0; i < 20; i++) s[i] = i + 1;
        ScaleFolding.apply(block, cache, new ScaleChoice(ScalingGroup.MLP_OUT, s, s, 0.5, 0, 0, new double[0]));
        float[] y = cache.samples(InputSite.MLP_OUT).getFirst();
        for (int i = 0; i < x.length; i++) assertEquals(x[i] / s[i % 20], y[i], 1e-6f * Math.abs(x[i]));
    }
}
