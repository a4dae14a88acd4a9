package dev.calq.imatrix;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.Projection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gathers llama.cpp importance-matrix statistics at every projection input. Projections that share an input
 * (q/k/v, gate/up) share one {@link ActivationStats}; {@link #stats(int, Projection)} looks them up by projection.
 */
public final class ImatrixObserver implements LinearInputObserver {
    private final Map<String, ActivationStats> stats = new ConcurrentHashMap<>();

    @Override
    public void observe(int layer, InputSite site, float[] x, int tokens, int dim) {
        stats.computeIfAbsent(key(layer, site), k -> new ActivationStats(dim)).add(x, tokens, dim);
    }

    /** The statistics of a projection's input, or null if it was never observed. */
    public ActivationStats stats(int layer, Projection p) { return stats.get(key(layer, p.site())); }

    /** The statistics of one input site, or null. */
    public ActivationStats stats(int layer, InputSite site) { return stats.get(key(layer, site)); }

    /** Puts back statistics saved by an earlier run of the same layer (resume). */
    public void restore(int layer, InputSite site, ActivationStats s) { stats.put(key(layer, site), s); }

    /** Every (layer, projection) with statistics, keyed by the Hugging Face weight name. */
    public Map<String, ActivationStats> byWeightName(int layers) {
        Map<String, ActivationStats> out = new TreeMap<>();
        for (int l = 0; l < layers; l++)
            for (Projection p : Projection.values()) {
                ActivationStats s = stats(l, p);
                if (s != null) out.put(p.weightName(l), s);
            }
        return Collections.unmodifiableMap(out);
    }

    private static String key(int layer, InputSite site) { return layer + "/" + site; }
}
