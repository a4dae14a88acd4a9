package dev.calq.awq;

/**
 * Settings of the AWQ search. Defaults follow AutoAWQ: 20 grid points for the scale exponent, duo scaling (activation
 * and weight magnitudes), clipping shrinks down to half the group's range in steps of 1/20, 512 sampled tokens for
 * the clip search.
 *
 * @param grid              number of exponents tried for the scales, ratio = i / grid for i in [0, grid)
 * @param duoScaling        AutoAWQ's s = x^r / w^(1-r); false gives llm-awq's s = x^r
 * @param clip              run the clipping search after the scales are folded in
 * @param maxShrink         the clip search tries max |w| * (1 - i / clipGrid) down to (1 - maxShrink)
 * @param clipGrid          step count of the clip search
 * @param clipSampleTokens  tokens the clip search uses, taken by stride from the cached inputs
 * @param gqaOutputScaling  also scale v_proj -> o_proj when grouped-query attention makes their shapes differ
 *                          (one scale per kv channel, shared by the query heads that read that kv head)
 */
public record AwqConfig(int grid, boolean duoScaling, boolean clip, double maxShrink, int clipGrid,
                        int clipSampleTokens, boolean gqaOutputScaling) {
    public static final AwqConfig DEFAULT = new AwqConfig(20, true, true, 0.5, 20, 512, false);

    public AwqConfig {
        if (grid < 1) throw new IllegalArgumentException("grid must be at least 1, got " + grid);
        if (!(maxShrink >= 0 && maxShrink < 1)) throw new IllegalArgumentException("maxShrink must lie in [0, 1), got " + maxShrink);
        if (clipGrid < 1) throw new IllegalArgumentException("clipGrid must be at least 1, got " + clipGrid);
        if (clipSampleTokens < 1) throw new IllegalArgumentException("clipSampleTokens must be at least 1, got " + clipSampleTokens);
    }

    public AwqConfig withGrid(int g) { return new AwqConfig(g, duoScaling, clip, maxShrink, clipGrid, clipSampleTokens, gqaOutputScaling); }

    public AwqConfig withDuoScaling(boolean d) { return new AwqConfig(grid, d, clip, maxShrink, clipGrid, clipSampleTokens, gqaOutputScaling); }

    public AwqConfig withClip(boolean c) { return new AwqConfig(grid, duoScaling, c, maxShrink, clipGrid, clipSampleTokens, gqaOutputScaling); }

    public AwqConfig withMaxShrink(double m) { return new AwqConfig(grid, duoScaling, clip, m, clipGrid, clipSampleTokens, gqaOutputScaling); }

    public AwqConfig withGqaOutputScaling(boolean g) { return new AwqConfig(grid, duoScaling, clip, maxShrink, clipGrid, clipSampleTokens, g); }
}
