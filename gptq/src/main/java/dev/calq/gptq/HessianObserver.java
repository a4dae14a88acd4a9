package dev.calq.gptq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gathers one GPTQ Hessian per (layer, input site) from the calibration forward pass. Projections sharing a site
 * (q/k/v, gate/up) share its Hessian, so it is accumulated once. Calls for different keys may run concurrently.
 */
public final class HessianObserver implements LinearInputObserver {
    private record Key(int layer, InputSite site) {}

    private final Map<Key, HessianAccumulator> accumulators = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder nanos = new java.util.concurrent.atomic.LongAdder();

    @Override
    public void observe(int layer, InputSite site, float[] x, int tokens, int dim) {
        HessianAccumulator acc = accumulators.computeIfAbsent(new Key(layer, site),
                k -> new HessianAccumulator("layer " + layer + " " + site, dim));
        long t0 = System.nanoTime();
        synchronized (acc) {
            acc.add(x, tokens, dim);
        }
        nanos.add(System.nanoTime() - t0);
    }

    /** Seconds spent accumulating (summed over calls, inside the forward passes). */
    public double seconds() { return nanos.sum() / 1e9; }

    /** The accumulator of (layer, site); throws when nothing was observed there. */
    public HessianAccumulator accumulator(int layer, InputSite site) {
        HessianAccumulator acc = accumulators.get(new Key(layer, site));
        if (acc == null)
            throw new dev.calq.formats.CalqException("layer " + layer + " " + site + ": no calibration input was observed");
        return acc;
    }

    /** H = 2/N X^T X of (layer, site) as a full [dim x dim] array. */
    public double[] hessian(int layer, InputSite site) { return accumulator(layer, site).hessian(); }

    /** Frees the memory of (layer, site) once its projections are quantized. */
    public void release(int layer, InputSite site) { accumulators.remove(new Key(layer, site)); }
}
