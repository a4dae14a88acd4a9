package dev.calq.awq;

import dev.calq.calibration.model.DecoderLayer;
import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.runner.ScalingMethod;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.safetensors.SafetensorsFile;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * AWQ's scales alone, for a quantizing method that runs after it on each layer ({@code --method awq+gptq}): the
 * search of every scaling group on the layer as it came, the scales folded into the norms, v_proj/up_proj rows and
 * the projections' columns, and nothing else. No clipping: clamping a weight changes the target that GPTQ's error
 * feedback then reproduces (the clamped weight, not the model's), so its error is never compensated; the scales keep
 * the float layer's function, so GPTQ's objective stays that of the original layer. No rounding either: the model
 * keeps the scaled float weights for the next method. The search measures its candidates by round to nearest on
 * {@code searchGrid} (the checkpoint's grid; for GGUF the --bits/--group-size grid), a proxy for what GPTQ then does.
 */
public final class AwqScaling implements ScalingMethod {
    private static final String FILE = "awq-scaling.safetensors", SCALES = "scales:", FOLD = "fold:";

    private final LlamaModel model, quantized;
    private final AwqMethod method;
    private final String description;
    private final Map<String, Tensor> replaced = new LinkedHashMap<>();
    private final Map<String, float[]> inputScales = new LinkedHashMap<>();
    private final List<AwqLayerSearch.Report> reports = new ArrayList<>();

    /** {@code config}'s clip setting is ignored (always off, see above). */
    public AwqScaling(LlamaModel model, GridConfig searchGrid, AwqConfig config, long maxTokensPerSite) {
        this(model, model, searchGrid, config, maxTokensPerSite);
    }

    /**
     * Searches on {@code model} (the runner's, whose inputs the search caches) and folds the scales into it and, when
     * it is another instance, into {@code quantized} too: the model the next method reads its weights from and writes
     * its quantized ones to (GPTQ inside the GGUF types with --gptq-target fp-inputs keeps the runner on an unquantized copy).
     */
    public AwqScaling(LlamaModel model, LlamaModel quantized, GridConfig searchGrid, AwqConfig config, long maxTokensPerSite) {
        this.model = model;
        this.quantized = quantized;
        this.description = "awq scales (no clip)|" + searchGrid + "|" + config.withClip(false) + "|" + maxTokensPerSite;
        ModelConfig c = model.config();
        int width = 2 * c.hiddenSize() + c.qDim() + c.intermediateSize();
        this.method = new AwqMethod(l -> new DecoderLayerBlock(model.layer(l), c), new GridQuantizer(searchGrid), config.withClip(false), maxTokensPerSite, width,
                this::finish);
    }

    private void finish(int layer, AwqBlock block, AwqLayerSearch.Report report) {
        reports.add(report);
        for (ScaleChoice c : report.scales())
            if (!c.identity()) for (Projection p : c.group().scaled()) inputScales.put(p.weightName(layer), c.inputScales().clone());
        for (Tensor t : AwqExport.scaledTensors(layer, block, true)) replaced.put(t.name(), t);
        if (quantized != model) copyInto(quantized, layer, block);
    }

    @Override public List<Set<InputSite>> stages() { return method.stages(); }

    @Override public LinearInputObserver observer(int layer, Set<InputSite> stage) { return method.observer(layer, stage); }

    /** Searches and folds; the layer's outputs are unchanged (the scales keep the float function). */
    @Override public boolean update(int layer, Set<InputSite> stage) { return method.update(layer, stage); }

    @Override public long workingBytes(int tokensTotal) { return method.workingBytes(tokensTotal); }

    @Override public Map<String, Tensor> replacedTensors() { return replaced; }

    @Override public Map<String, float[]> inputScales() { return inputScales; }

    public List<AwqLayerSearch.Report> reports() { return reports; }

    @Override public String describe() { return description; }

    /** One line a layer: the chosen ratio per group and its error against unscaled rounding. */
    @Override
    public String report() {
        StringBuilder sb = new StringBuilder();
        for (AwqLayerSearch.Report r : reports) sb.append(r.line()).append('\n');
        return sb.toString();
    }

    /**
     * The layer's scaled norms and biases, its projections' input scales, and every group's chosen scales in folding
     * order ({@code fold:GROUP.source}, {@code fold:GROUP.input}), from which {@link #loadLayer} folds the layer again.
     */
    @Override
    public void saveLayer(int layer, Path dir) throws IOException {
        String prefix = "model.layers." + layer + ".";
        Map<String, float[]> mine = new LinkedHashMap<>();
        for (Tensor t : replaced.values()) if (t.name().startsWith(prefix)) mine.put(t.name(), t.toFloatArray());
        for (var e : inputScales.entrySet()) if (e.getKey().startsWith(prefix)) mine.put(SCALES + e.getKey(), e.getValue());
        for (AwqLayerSearch.Report r : reports)
            if (r.layer() == layer)
                for (ScaleChoice c : r.scales()) {
                    mine.put(FOLD + c.group().name() + ".source", c.sourceScales());
                    mine.put(FOLD + c.group().name() + ".input", c.inputScales());
                }
        try (SafetensorsWriter w = SafetensorsWriter.file(dir.resolve(FILE), Map.of())) {
            for (var e : mine.entrySet()) w.add(Tensor.ofFloats(e.getKey(), e.getValue(), e.getValue().length));
            w.finish();
        }
    }

    /**
     * Folds the saved scales into the layer as it is on disk again (the same arithmetic on the same weights, so the
     * same bits), into the model(s), and checks the result against the saved norms and biases. The next method then
     * restores the projections it quantized; one it left in float (a float type inside a GGUF mix) is written from
     * the scaled weight folded here.
     */
    @Override
    public void loadLayer(int layer, Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        Map<String, float[]> saved = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) saved.put(name, f.get(name).toFloatArray());
        }
        DecoderLayerBlock block = new DecoderLayerBlock(model.layer(layer), model.config());
        for (ScalingGroup g : ScalingGroup.values()) {
            float[] source = saved.get(FOLD + g.name() + ".source"), input = saved.get(FOLD + g.name() + ".input");
            if (source != null && input != null) ScaleFolding.apply(block, null, new ScaleChoice(g, source, input, Double.NaN, 0, 0, new double[0]));
        }
        for (var e : saved.entrySet()) {
            String name = e.getKey();
            float[] v = e.getValue();
            if (name.startsWith(FOLD)) continue;
            if (name.startsWith(SCALES)) {
                inputScales.put(name.substring(SCALES.length()), v);
                continue;
            }
            float[] live = AwqExport.liveTensor(model.layer(layer), layer, name);
            if (live == null || !java.util.Arrays.equals(live, v))
                throw new IOException(file + ": " + name + " does not match layer " + layer + " folded again from the model");
            replaced.put(name, Tensor.ofFloats(name, v, v.length));
        }
        if (quantized != model) copyInto(quantized, layer, block);
    }

    /** The scaled layer {@code block} (of the runner's model) copied into {@code target}: projections, norms and biases. */
    private static void copyInto(LlamaModel target, int layer, AwqBlock block) {
        for (Projection p : Projection.values()) target.setWeight(layer, p, block.weight(p).clone());
        DecoderLayer q = target.layer(layer);
        for (Tensor t : AwqExport.scaledTensors(layer, block, true)) {
            float[] v = t.toFloatArray();
            System.arraycopy(v, 0, AwqExport.liveTensor(q, layer, t.name()), 0, v.length);
        }
    }
}
