package dev.calq.gptq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.QuantizedLayers;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.calibration.model.LayerwiseModel;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * GPTQ into GGUF block types as a calibration-runner method: Hessians gathered at each input site (true-sequential
 * stages as {@link GptqMethod}), then every projection whose type GPTQ can run inside
 * ({@link GgufGptqQuantizer#supports}: a {@link dev.calq.formats.gguf.quant.BlockGrid} or an IQ1-IQ3 codebook) quantized by {@link GgufGptqQuantizer} and its decoded weight put back into the model, so later sites and layers
 * see the quantized model. Projections the mix gives another type (F16 fallbacks) are left to the converter.
 */
public final class GgufGptqMethod implements LayerMethod {
    private static final String ERRORS = "gguf-gptq.errors";

    /** One row of the error table: GPTQ in the type against the type's plain imatrix quantization of the same weight. */
    public record LayerError(int layer, Projection projection, GgmlType type, double gptq, double plain) {}

    private final LayerwiseModel model;
    private final Function<String, GgmlType> typeOf;
    private final GptqConfig config;
    private final boolean trueSequential;
    private final GgufGptqQuantizer.ScaleChoice scaleChoice;
    private final PrintStream log;
    private final HessianObserver hessians = new HessianObserver();
    private final QuantizedLayers quantized;
    private final List<LayerError> errors = new ArrayList<>();
    private final Map<String, InputShiftAccumulator> shifts = new java.util.concurrent.ConcurrentHashMap<>();
    private GptqTarget target = GptqTarget.FP_INPUTS; // the method alone: no second stream unless withTarget asks
    private float[] storedEmbedding;
    private BlockOrder order = BlockOrder.NATURAL;

    /**
     * {@code typeOf} gives the ggml type of a projection by Hugging Face weight name (null: not quantized here);
     * {@code config} supplies the damping (act-order is refused: see {@link GgufGptqQuantizer}).
     */
    public GgufGptqMethod(LayerwiseModel model, Function<String, GgmlType> typeOf, GptqConfig config, boolean trueSequential, PrintStream log) {
        this(model, typeOf, config, trueSequential, GgufGptqQuantizer.ScaleChoice.DIAGONAL, log);
    }

    /** As above, with each block's scales chosen as {@code scaleChoice} says. */
    public GgufGptqMethod(LayerwiseModel model, Function<String, GgmlType> typeOf, GptqConfig config, boolean trueSequential,
                          GgufGptqQuantizer.ScaleChoice scaleChoice, PrintStream log) {
        this.scaleChoice = scaleChoice;
        if (config.actOrder()) throw new dev.calq.formats.CalqException("--act-order cannot reorder columns across ggml blocks; GPTQ into GGUF types runs in column order");
        this.model = model;
        this.typeOf = typeOf;
        this.config = config;
        this.trueSequential = trueSequential;
        this.log = log;
        this.quantized = new QuantizedLayers(model);
    }

    /**
     * Fits each projection as {@code target} says; {@code embedding} ([vocab x hidden], the token embedding as the
     * file stores it, decoded) is where the quantized stream starts when the target asks for the stored embedding.
     */
    public GgufGptqMethod withTarget(GptqTarget target, float[] embedding) {
        if (target.storedEmbedding() && embedding == null) throw new IllegalArgumentException("the stored embedding is missing");
        this.target = target;
        this.storedEmbedding = target.storedEmbedding() ? embedding : null;
        return this;
    }

    private boolean fullPrecision() { return target.fit() == GptqTarget.Fit.FULL_PRECISION; }

    @Override public boolean wantsFullPrecisionInputs() { return fullPrecision(); }

    @Override
    public dev.calq.calibration.model.PairedInputObserver pairedObserver(int layer, Set<InputSite> stage) {
        if (!fullPrecision()) return null;
        return (l, site, full, quantized, tokens, dim) -> {
            if (!stage.contains(site)) return;
            InputShiftAccumulator acc = shifts.computeIfAbsent(l + " " + site, k -> new InputShiftAccumulator("layer " + k, dim));
            synchronized (acc) {
                acc.add(full, quantized, tokens, dim);
            }
        };
    }

    @Override
    public float[] quantizedEmbedding(int[] tokens) {
        if (storedEmbedding == null) return null;
        int h = model.hiddenSize();
        float[] out = new float[tokens.length * h];
        for (int t = 0; t < tokens.length; t++) System.arraycopy(storedEmbedding, tokens[t] * h, out, t * h, h);
        return out;
    }


    /** The quantization order with its prepared inverse Hessian and importance, both in that order. */
    private record Ordered(int[] perm, InverseHessian inv, float[] importance) {}

    /** Quantizes the columns in {@code o}'s order of whole blocks (default: natural). */
    public GgufGptqMethod withOrder(BlockOrder o) {
        this.order = o;
        return this;
    }

    @Override
    public List<Set<InputSite>> stages() {
        if (!trueSequential) return List.of(java.util.EnumSet.allOf(InputSite.class));
        List<Set<InputSite>> stages = new ArrayList<>();
        for (InputSite s : InputSite.values()) stages.add(java.util.EnumSet.of(s));
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
        boolean changed = false;
        for (InputSite site : stage) {
            double[] h = hessians.hessian(layer, site);
            hessians.release(layer, site);
            InputShiftAccumulator shift = fullPrecision() ? shifts.remove(layer + " " + site) : null;
            if (fullPrecision() && shift == null)
                throw new dev.calq.formats.CalqException("layer " + layer + " " + site + ": no full-precision input was observed");
            double[] delta = shift != null ? shift.delta() : null;
            int in = model.inFeatures(site.projections().getFirst());
            InverseHessian shiftInv = null;
            float[] importance = GgufGptqQuantizer.diagonal(h, in);
            // one prepared inverse Hessian per quantization order: the natural one, or one per block size with --gguf-order
            Map<Integer, Ordered> orders = new java.util.HashMap<>();
            for (Projection p : site.projections()) {
                String name = p.weightName(layer);
                GgmlType type = typeOf.apply(name);
                if (type == null || !GgufGptqQuantizer.supports(type)) continue;
                int[] perm = order.permutation(h, in, type.blockSize());
                Ordered o = orders.computeIfAbsent(perm == null ? 0 : type.blockSize(), k -> {
                    InverseHessian inv = InverseHessian.prepare("layer " + layer + " " + site,
                            perm == null ? h : BlockOrder.permuteSymmetric(h, in, perm), in, config);
                    if (inv.retries() > 0)
                        log.printf(Locale.ROOT, "layer %d %s: Cholesky failed, retried with damp %.4g (%d retries)%n", layer, site, inv.dampUsed(), inv.retries());
                    return new Ordered(perm, inv, perm == null ? importance : BlockOrder.permuteColumns(importance, 1, in, perm));
                });
                int out = model.outFeatures(p);
                float[] w = model.weight(layer, p);
                // Against the full-precision model: GPTQ on the shifted weight (InputShift), the same H and loop.
                if (delta != null && shiftInv == null) shiftInv = target.shiftDamp() > 0
                        ? InverseHessian.prepare("layer " + layer + " " + site + " (shift)", h, in,
                                new GptqConfig(config.grid(), false, false, target.shiftDamp(), config.blockSize(), config.trueSequential()))
                        : perm == null ? o.inv() : InverseHessian.prepare("layer " + layer + " " + site + " (shift)", h, in, config);
                float[] fit = delta != null ? InputShift.shifted(w, out, in, delta, shiftInv, target.shrink()) : w;
                GgufGptqQuantizer.Result r = perm == null
                        ? GgufGptqQuantizer.quantize(name, fit, out, in, o.inv(), importance, type, scaleChoice)
                        : BlockOrder.restore(GgufGptqQuantizer.quantize(name, BlockOrder.permuteColumns(fit, out, in, perm), out, in, o.inv(),
                                o.importance(), type, scaleChoice), out, in, perm);
                float[] plain = Quantizers.dequantize(type, Quantizers.quantize(type, w, out, in, importance), out, in);
                // the GPTQ column is measured against what GPTQ fitted (the shifted weight under --gptq-target full-precision)
                errors.add(new LayerError(layer, p, type, OutputError.relativeOutputError(fit, r.dequantized(), out, in, h),
                        OutputError.relativeOutputError(w, plain, out, in, h)));
                quantized.keep(layer, p, new QuantizedLayers.GgmlBlocks(r.type(), r.bytes(), r.loss()), r.dequantized());
                changed = true;
            }
        }
        return changed;
    }

    @Override
    public long workingBytes(int tokensTotal) {
        long bytes = 0;
        for (InputSite s : InputSite.values()) {
            long d = model.inFeatures(s.projections().getFirst());
            bytes += d * d * 8 * 2; // the accumulator and the solver's copy
            if (fullPrecision()) bytes += d * d * (8 + 4 + 8 + 4); // Delta's sum, product, copy, transpose
        }
        if (fullPrecision()) {
            long largest = 0;
            for (Projection p : Projection.values()) largest = Math.max(largest, (long) model.outFeatures(p) * model.inFeatures(p));
            bytes += 4 * 4 * largest; // the shifted weight and the shift's products
        }
        if (storedEmbedding != null) bytes += 4L * storedEmbedding.length;
        return bytes;
    }

    /** The layer's error rows ride in the resume file's metadata, one line a projection (exact: Double.toString round-trips). */
    @Override
    public void saveLayer(int layer, Path dir) throws IOException {
        StringBuilder rows = new StringBuilder();
        for (LayerError e : errors)
            if (e.layer() == layer)
                rows.append(e.projection().name()).append(' ').append(e.type().name()).append(' ').append(e.gptq()).append(' ')
                        .append(e.plain()).append('\n');
        quantized.save(layer, dir, new QuantizedLayers.Extras(Map.of(), Map.of(ERRORS, rows.toString())));
    }

    @Override
    public void loadLayer(int layer, Path dir) throws IOException {
        String rows = quantized.load(layer, dir).notes().getOrDefault(ERRORS, "");
        for (String row : rows.split("\n")) {
            if (row.isEmpty()) continue;
            String[] f = row.split(" ");
            errors.add(new LayerError(layer, Projection.valueOf(f[0]), GgmlType.valueOf(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])));
        }
    }

    /** The encoded projections by Hugging Face weight name (rows in Hugging Face order), in layer order. */
    public Map<String, QuantizedLayers.GgmlBlocks> encoded() { return quantized.blocks(); }

    public List<LayerError> errors() { return errors; }

    /** Per layer and projection: type, relative output error of GPTQ in the type and of the plain imatrix quantization. */
    public String errorTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-6s %-6s %-7s %12s %12s %8s%n", "layer", "proj", "type", "gptq err", "imatrix err", "ratio"));
        double sumG = 0, sumP = 0;
        for (LayerError e : errors) {
            sb.append(String.format(Locale.ROOT, "%-6d %-6s %-7s %12.6f %12.6f %8.3f%n", e.layer(), e.projection().name().toLowerCase(Locale.ROOT),
                    e.type().ggmlName(), e.gptq(), e.plain(), e.gptq() / e.plain()));
            sumG += e.gptq();
            sumP += e.plain();
        }
        sb.append(String.format(Locale.ROOT, "mean ratio of summed errors: %.3f%n", sumG / Math.max(sumP, 1e-30)));
        return sb.toString();
    }
}
