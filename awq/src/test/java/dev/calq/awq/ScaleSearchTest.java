package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.Projection;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScaleSearchTest {
    private static final WeightQuantizer Q4 = Fixtures.quantizer(4, 16);

    @Test
    void scalesAreNormalisedToUnitGeometricMidrange() {
        float[] x = {0.1f, 1f, 10f, 3f};
        float[] w = {0.5f, 0.2f, 0.9f, 0.4f};
        for (boolean duo : new boolean[] {false, true}) {
            float[] s = ScaleSearch.scales(x, w, 0.35, duo);
            float max = 0, min = Float.MAX_VALUE;
            for (float v : s) { max = Math.max(max, v); min = Math.min(min, v); }
            assertEquals(1.0, Math.sqrt((double) max * min), 1e-5);
        }
        // llm-awq's form at ratio 0 is no scaling at all.
        assertArrayEquals(new float[] {1, 1, 1, 1}, ScaleSearch.scales(x, w, 0, false));
        // x^r ordering: a larger activation gets a larger scale.
        float[] s = ScaleSearch.scales(x, w, 0.5, false);
        assertTrue(s[2] > s[3] && s[3] > s[1] && s[1] > s[0]);
    }

    @Test
    void searchLowersTheErrorOnOutlierChannelsForEveryGroup() {
        SyntheticBlock block = new SyntheticBlock(32, 4, 4, 8, 48, false, 11);
        LayerInputs cache = Fixtures.capture(block, 2, 12, 25, 12);
        for (boolean duo : new boolean[] {false, true}) {
            for (ScalingGroup g : ScalingGroup.values()) {
                ScaleChoice c = ScaleSearch.search(block, cache, g, Q4, AwqConfig.DEFAULT.withDuoScaling(duo));
                assertTrue(c.error() <= c.identityError(), g + " " + duo);
                if (g == ScalingGroup.ATTN_IN || g == ScalingGroup.MLP_IN) {
                    // Outlier channels in the normed input: some scaling must win clearly.
                    assertFalse(c.identity(), g + " " + duo);
                    assertTrue(c.error() < 0.8 * c.identityError(), g + " " + duo + ": " + c.error() + " vs " + c.identityError());
                }
                if (!duo) assertEquals(c.identityError(), c.gridErrors()[0]);
            }
        }
    }

    @Test
    void searchLeavesTheWeightsAsItFoundThem() {
        SyntheticBlock block = new SyntheticBlock(32, 4, 2, 8, 48, true, 13);
        LayerInputs cache = Fixtures.capture(block, 1, 9, 10, 14);
        Map<Projection, float[]> before = new EnumMap<>(Projection.class);
        for (Projection p : Projection.values()) before.put(p, block.weight(p).clone());
        for (ScalingGroup g : ScalingGroup.values())
            ScaleSearch.search(block, cache, g, Q4, AwqConfig.DEFAULT.withGqaOutputScaling(true));
        for (Projection p : Projection.values()) assertArrayEquals(before.get(p), block.weight(p), p.name());
    }

    @Test
    void channelMeansMatchTheDefinition() {
        // Two rows of 4 weights, groups of 2: |w| / (group max + 1e-6), averaged over rows.
        float[] w = {1, -2, 4, 0, -3, 3, 1, 1};
        float[] m = ChannelMeans.weight(java.util.List.of(w), 4, 2);
        double e = 1e-6;
        assertEquals((1 / (2 + e) + 3 / (3 + e)) / 2, m[0], 1e-6);
        assertEquals((2 / (2 + e) + 3 / (3 + e)) / 2, m[1], 1e-6);
        assertEquals((4 / (4 + e) + 1 / (1 + e)) / 2, m[2], 1e-6);
        assertEquals((0 + 1 / (1 + e)) / 2, m[3], 1e-6);
    }
}
