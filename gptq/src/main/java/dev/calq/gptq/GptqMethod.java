package dev.calq.gptq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.calibration.quant.QuantGrid;
import dev.calq.calibration.quant.QuantizedLayers;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.calibration.model.LayerwiseModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import dev.calq.calibration.quant.Rtn;

/**
 * GPTQ (or RTN) as a calibration-runner method: Hessians gathered at each input site, then every projection that
 * reads the site quantized and its dequantized weight put back into the model, so later sites and layers see the
 * quantized model (true-sequential mode observes each site after the earlier ones are quantized, as gptq.py does).
 */
public final class GptqMethod implements LayerMethod {
    /** One row of the final error table. */
    public record LayerError(int layer, Projection projection, double gptq, double rtn, double dampUsed, int retries) {}

    public enum Algorithm { GPTQ, RTN }

    private static final String ERRORS = "gptq.errors";
    private final LayerwiseModel model;
    private final GptqConfig config;
    private final Algorithm algorithm;
    private final boolean compareRtn;
    private final PrintStream log;
    private final HessianObserver hessians = new HessianObserver();
    private final QuantizedLayers quantized;
    private final List<LayerError> errors = new ArrayList<>();
    private QuantGrid grid;
    private long copyNanos, factorNanos, loopNanos;

    public GptqMethod(LayerwiseModel model, GptqConfig config, Algorithm algorithm, boolean compareRtn, PrintStream log) {
        this.model = model;
        this.config = config;
        this.algorithm = algorithm;
        this.compareRtn = compareRtn;
        this.log = log;
        this.quantized = new QuantizedLayers(model);
        for (Projection p : Projection.values()) config.grid().checkShape(p.weightName(0), model.inFeatures(p));
        this.grid = config.grid().grid();
    }

    /** The grid layers are rounded onto. */
    public QuantGrid grid() { return grid; }

    /** Rounds onto {@code g} (e.g. NF4's {@link dev.calq.calibration.quant.CodebookGrid}) instead of the config's integer grid. */
    public GptqMethod withGrid(QuantGrid g) {
        this.grid = g;
        return this;
    }

    @Override
    public List<Set<InputSite>> stages() {
        if (!config.trueSequential()) return List.of(EnumSet.allOf(InputSite.class));
        List<Set<InputSite>> stages = new ArrayList<>();
        for (InputSite s : InputSite.values()) stages.add(EnumSet.of(s));
        return stages;
    }

    @Override
    public LinearInputObserver observer(int layer, Set<InputSite> stage) {
        return (l, site, x, tokens, dim) -> {
            if (stage.contains(site)) hessians.observe(l, site, x, tokens, dim);
        };
    }

    @Override
    public boolean update(int layer, Set<InputSite> stage) {
        for (InputSite site : stage) {
            long t0 = System.nanoTime();
            double[] h = hessians.hessian(layer, site);
            hessians.release(layer, site);
            int in = model.inFeatures(site.projections().getFirst());
            long t1 = System.nanoTime();
            InverseHessian inv = algorithm == Algorithm.GPTQ ? InverseHessian.prepare("layer " + layer + " " + site, h, in, config) : null;
            long t2 = System.nanoTime();
            copyNanos += t1 - t0;
            factorNanos += t2 - t1;
            if (inv != null && inv.retries() > 0)
                log.printf(Locale.ROOT, "layer %d %s: Cholesky failed, retried with damp %.4g (%d retries)%n", layer, site, inv.dampUsed(), inv.retries());
            for (Projection p : site.projections()) {
                String name = p.weightName(layer);
                int out = model.outFeatures(p);
                float[] w = model.weight(layer, p);
                QuantizedLinear rtn = algorithm == Algorithm.RTN || compareRtn ? Rtn.quantize(name, w, out, in, config.grid(), grid) : null;
                QuantizedLinear q = algorithm == Algorithm.GPTQ ? GptqQuantizer.quantize(name, w, out, in, inv, config, grid).quantized() : rtn;
                float[] dq = q.dequantize();
                double err = OutputError.relativeOutputError(w, dq, out, in, h);
                double rtnErr = algorithm == Algorithm.RTN ? err
                        : rtn != null ? OutputError.relativeOutputError(w, rtn.dequantize(), out, in, h) : Double.NaN;
                errors.add(new LayerError(layer, p, err, rtnErr, inv == null ? 0 : inv.dampUsed(), inv == null ? 0 : inv.retries()));
                quantized.keep(layer, p, q); // the model reads it through a dequantizing view: no float32 copy kept
            }
            loopNanos += System.nanoTime() - t2;
        }
        return true;
    }

    /**
     * Where the solver's time went: Hessian accumulation (inside the forward passes), the Hessian copies, the
     * inverse-Hessian factor and the quantization loop (with the error report), summed over the run.
     */
    public String phaseLine() {
        return String.format(Locale.ROOT, "%s phases: Hessian accumulation %.1fs (inside the forward passes), Hessian copy %.1fs, factor %.1fs, quantization loop %.1fs",
                algorithm == Algorithm.GPTQ ? "gptq" : "rtn", hessians.seconds(), copyNanos / 1e9, factorNanos / 1e9, loopNanos / 1e9);
    }


    /**
     * The peak the method adds to a layer's pass (scripts/heap.sh computes the same from config.json): the Hessian
     * accumulators (one site at a time in true-sequential mode, all of the layer's otherwise), the solver at the
     * widest site (the Hessian kept for the error report, then the damped factor and U, or, while the triangular
     * inverse runs, the factor and the inverse's strips, half of n^2 doubles: 20 n^2 bytes and a few rows; RTN keeps the
     * Hessian and the accumulator's copy, 16 n^2), five float32 copies of the largest projection while it is
     * quantized (the current weight, the working copy, the dequantized result, the model's copy, RTN's for
     * --compare-rtn), and every layer's packed results until the checkpoint is written.
     */
    @Override
    public long workingBytes(int tokensTotal) {
        long widest = 0, squares = 0, largest = 0, results = 0;
        for (InputSite s : InputSite.values()) {
            long d = model.inFeatures(s.projections().getFirst());
            widest = Math.max(widest, d);
            squares += d * d;
        }
        for (Projection p : Projection.values()) {
            largest = Math.max(largest, (long) model.outFeatures(p) * model.inFeatures(p));
            results += QuantizedLinear.heapBytes(model.outFeatures(p), model.inFeatures(p), config.grid().bits(), config.grid().groupSize());
        }
        boolean gptq = algorithm == Algorithm.GPTQ;
        long solver = (gptq ? 20 : 16) * widest * widest;
        if (!config.trueSequential()) {
            long first = model.inFeatures(InputSite.values()[0].projections().getFirst());
            solver = Math.max(solver, 8 * squares + (gptq ? 12 : 8) * first * first);
        }
        return solver + 5 * 4 * largest + results * model.numLayers();
    }

    /** The layer's error rows ride in the resume file's metadata, one line a projection (exact: Double.toString round-trips). */
    @Override
    public void saveLayer(int layer, Path dir) throws IOException {
        StringBuilder rows = new StringBuilder();
        for (LayerError e : errors)
            if (e.layer() == layer)
                rows.append(e.projection().name()).append(' ').append(e.gptq()).append(' ').append(e.rtn()).append(' ')
                        .append(e.dampUsed()).append(' ').append(e.retries()).append('\n');
        quantized.save(layer, dir, new QuantizedLayers.Extras(Map.of(), Map.of(ERRORS, rows.toString())));
    }

    @Override
    public void loadLayer(int layer, Path dir) throws IOException {
        String rows = quantized.load(layer, dir).notes().getOrDefault(ERRORS, "");
        for (String row : rows.split("\n")) {
            if (row.isEmpty()) continue;
            String[] f = row.split(" ");
            errors.add(new LayerError(layer, Projection.valueOf(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), Integer.parseInt(f[4])));
        }
    }

    /** The quantized projections by Hugging Face weight name, in layer order. */
    public Map<String, QuantizedLinear> quantized() { return quantized.all(); }

    public List<LayerError> errors() { return errors; }

    /** The per-layer, per-projection relative output error table ||WX - QX||^2 / ||WX||^2 on the calibration inputs. */
    public String errorTable() {
        boolean both = algorithm == Algorithm.GPTQ && compareRtn;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-6s %-6s %12s%s%n", "layer", "proj", algorithm == Algorithm.GPTQ ? "gptq err" : "rtn err",
                both ? String.format(Locale.ROOT, " %12s %8s", "rtn err", "gptq/rtn") : ""));
        for (LayerError e : errors) {
            sb.append(String.format(Locale.ROOT, "%-6d %-6s %12.6f", e.layer(), e.projection().name().toLowerCase(Locale.ROOT), e.gptq()));
            if (both) sb.append(String.format(Locale.ROOT, " %12.6f %8.3f", e.rtn(), e.gptq() / e.rtn()));
            sb.append('\n');
        }
        return sb.toString();
    }
}
