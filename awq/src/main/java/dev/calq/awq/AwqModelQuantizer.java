package dev.calq.awq;

import dev.calq.calibration.model.DecoderLayer;
import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.quant.QuantGrid;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.formats.CalqException;
import dev.calq.formats.awq.AwqCheckpointWriter;
import dev.calq.formats.awq.AwqQuantizationConfig;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.tensor.OverlayTensorSource;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import dev.calq.formats.gptq.GptqQuantizationConfig;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.calibration.quant.QuantizedLayers;
import dev.calq.calibration.quant.Rtn;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * AWQ over calq's {@link LlamaModel}, ready for {@code calq quantize --method awq}: the runner method (search, fold,
 * clip per layer), then round to nearest of the scaled, clipped projections on the shared grid; the model is left
 * holding the dequantized weights and scaled norms, and the results go to either checkpoint writer. Supports the
 * runner's --resume through {@link #saveLayer}/{@link #loadLayer}.
 */
public final class AwqModelQuantizer implements LayerMethod {
    private static final String FLOAT = ".float", INPUT_SCALES = ".input_scales";

    private final LlamaModel model;
    private final GridConfig quant;
    private final QuantGrid grid;
    private final AwqMethod method;
    private final QuantizedLayers quantized;
    private final Map<String, Tensor> scaled = new LinkedHashMap<>();
    private final List<AwqLayerSearch.Report> reports = new ArrayList<>();
    private final Map<String, float[]> floatWeights = new LinkedHashMap<>();
    private final Map<String, float[]> inputScales = new LinkedHashMap<>();
    private boolean keepFloatWeights;

    /**
     * @param quant            the grid (AWQ: 4 bits, groups of 128, sym = false for zero points)
     * @param maxTokensPerSite bound on one layer's cached inputs (see {@link LayerInputs})
     */
    public AwqModelQuantizer(LlamaModel model, GridConfig quant, AwqConfig config, long maxTokensPerSite) {
        this(model, quant, quant.grid(), config, maxTokensPerSite);
    }

    /**
     * AWQ onto {@code grid} in groups of {@code quant}'s group size: a {@link CodebookGrid} with groups of 64 searches
     * the scales and clamps against bitsandbytes' NF4/FP4 encoding and rounds the scaled weights onto its code table
     * ({@link #quantized()} then carries the table, for the bitsandbytes writer).
     */
    public AwqModelQuantizer(LlamaModel model, GridConfig quant, QuantGrid grid, AwqConfig config, long maxTokensPerSite) {
        this.model = model;
        this.quant = quant;
        this.grid = grid;
        this.quantized = new QuantizedLayers(model);
        ModelConfig c = model.config();
        int width = 2 * c.hiddenSize() + c.qDim() + c.intermediateSize();
        this.method = new AwqMethod(l -> new DecoderLayerBlock(model.layer(l), c), new GridQuantizer(quant, grid), config,
                maxTokensPerSite, width, this::finish);
    }

    /**
     * Also keep every projection's scaled, clipped float weight (before the grid rounding) and the input scales its
     * columns were multiplied by: what another encoding of the same pass (a GGUF file) is written from. Call before
     * the run; costs one float32 copy of the projections.
     */
    public AwqModelQuantizer keepFloatWeights() {
        keepFloatWeights = true;
        return this;
    }

    private void finish(int layer, AwqBlock block, AwqLayerSearch.Report report) {
        reports.add(report);
        if (keepFloatWeights) {
            for (ScaleChoice c : report.scales())
                for (Projection p : c.group().scaled()) inputScales.put(p.weightName(layer), c.inputScales().clone());
        }
        for (Projection p : Projection.values()) {
            String name = p.weightName(layer);
            if (keepFloatWeights) floatWeights.put(name, block.weight(p).clone());
            quantized.keep(layer, p, Rtn.quantize(name, block.weight(p), block.outFeatures(p), block.inFeatures(p), quant, grid));
        }
        for (Tensor t : AwqExport.scaledTensors(layer, block, true)) scaled.put(t.name(), t);
    }

    @Override public List<Set<InputSite>> stages() { return method.stages(); }

    @Override public LinearInputObserver observer(int layer, Set<InputSite> stage) { return method.observer(layer, stage); }

    @Override public boolean update(int layer, Set<InputSite> stage) { return method.update(layer, stage); }

    @Override public long workingBytes(int tokensTotal) { return method.workingBytes(tokensTotal); }

    /** The quantized projections by Hugging Face weight name, in layer order. */
    public Map<String, QuantizedLinear> quantized() { return quantized.all(); }

    /** The scaled norms and v_proj/up_proj biases, by Hugging Face name. */
    public Map<String, Tensor> scaledTensors() { return scaled; }

    public List<AwqLayerSearch.Report> reports() { return reports; }

    /** With {@link #keepFloatWeights()}: the scaled, clipped float projections by Hugging Face weight name. */
    public Map<String, float[]> floatWeights() { return floatWeights; }

    /**
     * With {@link #keepFloatWeights()}: for each projection whose input columns AWQ scaled, the scale of every column
     * (its layer now reads the activations divided by them). Projections left unscaled have no entry.
     */
    public Map<String, float[]> inputScales() { return inputScales; }

    /** One line a layer: the chosen ratio per group (id: no scaling won) with its error against plain RTN's, times. */
    public String reportTable() {
        StringBuilder sb = new StringBuilder();
        for (AwqLayerSearch.Report r : reports) sb.append(r.line()).append('\n');
        return sb.toString();
    }

    /** Writes the AWQ GEMM checkpoint (needs 4 bits and groups that divide every input dimension). */
    public void writeAwq(Path modelDir, TensorSource source, Path out, boolean overwrite, long maxShardBytes) {
        if (quant.bits() != 4) throw new CalqException("the AWQ GEMM format stores 4-bit weights; use --format gptq for " + quant.bits() + " bits");
        if (quant.groupSize() == -1) throw new CalqException("the AWQ GEMM format needs one positive group size (e.g. 128), not -1");
        AwqCheckpointWriter w = new AwqCheckpointWriter(modelDir, source, new AwqQuantizationConfig(4, quant.groupSize(), !quant.sym()));
        for (var e : quantized.all().entrySet()) {
            String prefix = e.getKey().substring(0, e.getKey().length() - ".weight".length());
            Tensor bias = scaled.get(prefix + ".bias");
            float[] b = bias != null ? bias.toFloatArray() : source.contains(prefix + ".bias") ? source.get(prefix + ".bias").toFloatArray() : null;
            w.add(AwqExport.toAwqLinear(prefix, e.getValue(), b));
        }
        for (Tensor t : scaled.values()) if (t.name().endsWith("layernorm.weight")) w.replace(t);
        w.write(out, overwrite, maxShardBytes);
    }

    /** Writes the AWQ-scaled model as a GPTQ checkpoint (scaled norms and biases included); returns the GPTQ writer's warnings. */
    public List<String> writeGptq(Path modelDir, TensorSource source, Path out, boolean overwrite, long maxShardBytes) {
        return write(GridCheckpointFormat.GPTQ, modelDir, source, out, overwrite, maxShardBytes);
    }

    /**
     * Writes the AWQ-scaled model in a grid checkpoint format (GPTQ v1/v2, compressed-tensors) with the scaled norms
     * and biases as plain tensors; returns the writer's warnings.
     */
    public List<String> write(GridCheckpointFormat format, Path modelDir, TensorSource source, Path out, boolean overwrite, long maxShardBytes) {
        TensorSource over = withScaledTensors(source);
        // GPTQ's fields that AWQ has no use for are recorded as a GPTQ run with default damping and no act-order would.
        GptqQuantizationConfig qc = new GptqQuantizationConfig(quant.bits(), quant.groupSize(), false, quant.sym(), 0.01, false, false,
                GptqQuantizationConfig.V1);
        return format.write(modelDir, over, quantized.all(), qc, maxShardBytes, out, overwrite);
    }

    /**
     * {@code source} with the scaled norms and v_proj/up_proj biases in place of the model's: the plain tensors a
     * checkpoint of this run copies beside its quantized projections (any writer: grid layouts, bitsandbytes).
     */
    public TensorSource withScaledTensors(TensorSource source) {
        OverlayTensorSource over = new OverlayTensorSource(source);
        for (Tensor t : scaled.values()) over.replace(t);
        return over;
    }

    /** The layer's projections in the shared resume format, with the float weights, input scales and scaled norms and biases beside them. */
    @Override
    public void saveLayer(int layer, Path dir) throws IOException {
        Map<String, float[]> extras = new LinkedHashMap<>();
        for (Projection p : Projection.values()) {
            String n = p.weightName(layer);
            float[] f = floatWeights.get(n);
            if (f != null) extras.put(n + FLOAT, f);
            float[] s = inputScales.get(n);
            if (s != null) extras.put(n + INPUT_SCALES, s);
        }
        for (Tensor t : scaled.values()) if (t.name().startsWith("model.layers." + layer + ".")) extras.put(t.name(), t.toFloatArray());
        quantized.save(layer, dir, new QuantizedLayers.Extras(extras, Map.of()));
    }

    @Override
    public void loadLayer(int layer, Path dir) throws IOException {
        DecoderLayer dl = model.layer(layer);
        for (var e : quantized.load(layer, dir).floats().entrySet()) {
            String name = e.getKey();
            float[] v = e.getValue();
            if (name.endsWith(FLOAT)) {
                if (keepFloatWeights) floatWeights.put(name.substring(0, name.length() - FLOAT.length()), v);
                continue;
            }
            if (name.endsWith(INPUT_SCALES)) {
                if (keepFloatWeights) inputScales.put(name.substring(0, name.length() - INPUT_SCALES.length()), v);
                continue;
            }
            scaled.put(name, Tensor.ofFloats(name, v, v.length));
            float[] live = AwqExport.liveTensor(dl, layer, name);
            if (live != null) System.arraycopy(v, 0, live, 0, v.length);
        }
    }
}
