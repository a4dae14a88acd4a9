package dev.calq.awq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The cached inputs of one decoder layer's projections, per input site and per calibration sample, as the AWQ search
 * replays them. Register it as the runner's observer while the layer runs on the calibration samples; it copies the
 * inputs of its own layer and ignores the others. {@code maxTokensPerSite} bounds the memory: samples that would go
 * past it are dropped whole (the search then works on the first samples only), so one layer's cache stays within
 * 4 bytes x maxTokens x (3 x hidden + intermediate) plus one sample.
 */
public final class LayerInputs implements LinearInputObserver {
    private final int layer;
    private final long maxTokensPerSite;
    private final Map<InputSite, List<float[]>> samples = new EnumMap<>(InputSite.class);
    private final Map<InputSite, List<Integer>> tokens = new EnumMap<>(InputSite.class);
    private final Map<InputSite, Integer> dims = new EnumMap<>(InputSite.class);
    private final Map<InputSite, Long> totals = new EnumMap<>(InputSite.class);

    public LayerInputs(int layer, long maxTokensPerSite) {
        if (maxTokensPerSite < 1) throw new IllegalArgumentException("maxTokensPerSite must be positive");
        this.layer = layer;
        this.maxTokensPerSite = maxTokensPerSite;
        for (InputSite s : InputSite.values()) {
            samples.put(s, new ArrayList<>());
            tokens.put(s, new ArrayList<>());
            totals.put(s, 0L);
        }
    }

    public int layer() { return layer; }

    @Override
    public void observe(int layer, InputSite site, float[] x, int tokenCount, int dim) {
        if (layer != this.layer || tokenCount <= 0) return;
        Integer known = dims.putIfAbsent(site, dim);
        if (known != null && known != dim)
            throw new IllegalArgumentException(site + ": input width changed from " + known + " to " + dim);
        long total = totals.get(site);
        if (total + tokenCount > maxTokensPerSite && total > 0) return;
        samples.get(site).add(java.util.Arrays.copyOf(x, tokenCount * dim));
        tokens.get(site).add(tokenCount);
        totals.put(site, total + tokenCount);
    }

    /** Adds one sample directly (tests and runners that already hold the inputs). */
    public void add(InputSite site, float[] x, int tokenCount) {
        if (x.length % tokenCount != 0) throw new IllegalArgumentException(site + ": " + x.length + " values for " + tokenCount + " tokens");
        observe(layer, site, x, tokenCount, x.length / tokenCount);
    }

    public List<float[]> samples(InputSite site) { return samples.get(site); }

    public int tokens(InputSite site, int sample) { return tokens.get(site).get(sample); }

    public long totalTokens(InputSite site) { return totals.get(site); }

    public int dim(InputSite site) {
        Integer d = dims.get(site);
        if (d == null) throw new IllegalStateException("layer " + layer + ": no inputs cached for " + site);
        return d;
    }

    public boolean has(InputSite site) { return !samples.get(site).isEmpty(); }

    /** Divides channel c of every cached input at {@code site} by {@code s[c]}: the inputs after a scale is folded in. */
    public void divideChannels(InputSite site, float[] s) {
        int d = dim(site);
        if (s.length != d) throw new IllegalArgumentException(site + ": " + s.length + " scales for width " + d);
        for (float[] x : samples.get(site))
            for (int row = 0; row < x.length; row += d)
                for (int c = 0; c < d; c++) x[row + c] /= s[c];
    }

    /** Bytes held by the cache. */
    public long bytes() {
        long b = 0;
        for (List<float[]> l : samples.values()) for (float[] x : l) b += 4L * x.length;
        return b;
    }
}
