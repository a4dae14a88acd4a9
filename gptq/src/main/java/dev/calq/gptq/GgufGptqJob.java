package dev.calq.gptq;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.runner.CalibrationPass;
import dev.calq.calibration.runner.ChainedMethod;
import dev.calq.calibration.runner.ScalingMethod;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.calibration.runner.PassOptions;
import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.llama.LlamaTensorNames;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.tensor.OverlayTensorSource;
import dev.calq.formats.tensor.Tensor;
import dev.calq.gptq.sensitivity.SizeTargetJob;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code quantize --method gptq --format gguf}: the mix's types chosen as llama-quantize chooses them, then GPTQ inside
 * each projection's block type through the calibration runner; the other tensors (embeddings, output, F16
 * fallbacks) are quantized as llama-quantize does, with the importance matrix from --imatrix or gathered from the
 * calibration text first.
 */
public final class GgufGptqJob {
    /**
     * @param mix         the llama-quantize mix whose types GPTQ runs inside
     * @param overrides   llama-quantize's per-tensor options
     * @param imatrixFile an importance matrix to use (null: gathered from the calibration text first)
     * @param config      damping and true-sequential (act-order is refused; the lazy batch is one ggml block, not
     *                    the config's block size)
     * @param scales      how each block's scales are chosen (and whether a K-type token_embd gets the weighted search)
     * @param target      a size target whose chosen types replace {@code overrides} (null: the mix as given)
     * @param fit         what each projection is fitted to, and where the quantized stream starts
     * @param scaling     a method that re-parameterises each layer before GPTQ runs in it (AWQ's scales for
     *                    {@code --method awq+gptq}), made for the loaded model; null: none
     * @param order       the order GPTQ quantizes whole blocks in
     */
    public record Options(PassOptions pass, QuantMix mix, MixOptions overrides, Path imatrixFile, GptqConfig config,
                          GgufGptqQuantizer.ScaleChoice scales, SizeTargetJob.Options target, GptqTarget fit,
                          ScalingMethod.Factory scaling, BlockOrder order) {
        public Options {
            if (scaling != null && (fit.fit() == GptqTarget.Fit.FULL_PRECISION || fit.storedEmbedding()))
                throw new IllegalArgumentException("a scaling method changes each layer before GPTQ: the full-precision target does not apply");
            // the command refuses --dry-run here (GPTQ has to calibrate): a target's plan is method rtn's
            if (target != null && target.dryRun()) throw new IllegalArgumentException("a size target's dry run writes no GGUF GPTQ file");
        }

        /** With the default objective ({@link GptqTarget#DEFAULT}), no scaling, blocks in natural order. */
        public Options(PassOptions pass, QuantMix mix, MixOptions overrides, Path imatrixFile, GptqConfig config,
                       GgufGptqQuantizer.ScaleChoice scales, SizeTargetJob.Options target) {
            this(pass, mix, overrides, imatrixFile, config, scales, target, GptqTarget.DEFAULT, null, BlockOrder.NATURAL);
        }
    }

    /**
     * What a run did: the size target's choice (null without one), the GGUF file written, how many of its tensors
     * GPTQ encoded, and the seconds from the plan to the written file.
     */
    public record Result(SizeTargetJob.Chosen target, GgufConverter.Result file, int gptqTensors, double seconds) {}

    private GgufGptqJob() {}

    /** {@code imatrix} gathers the importance matrix when no --imatrix is given (and the size target's, and --imatrix-output's). */
    public static Result run(Options o, ImatrixGatherer imatrix, PrintStream log) {
        // every refusal and output check before a size target's sensitivity pass (which writes its types file)
        PassOptions pass = o.pass();
        QuantMix mix = o.mix();
        String named = o.scaling() != null ? "--method awq+gptq" : "--method gptq";
        if (!mix.quantized()) throw new CalqException(named + " needs a quantized --type; " + mix + " stores floats");
        if (!pass.calibration().given()) throw new CalqException(named + " --format gguf needs --calibration (the Hessians come from it)");
        if (o.config().actOrder()) throw new CalqException("--act-order cannot reorder columns across ggml blocks; GPTQ into GGUF types runs in column order");
        if (o.scaling() != null && pass.imatrixOutput() != null)
            throw new CalqException("--imatrix-output does not apply to --method awq+gptq (its pass observes each layer twice: unscaled, then scaled)");
        pass.requireHfFolder();
        if (pass.imatrixOutput() != null) dev.calq.formats.AtomicOutput.checkDistinct(List.of(pass.output(), pass.imatrixOutput()));
        pass.checkOutput(pass.output(), o.imatrixFile());
        if (pass.imatrixOutput() != null) pass.checkOutput(pass.imatrixOutput(), pass.output());
        SizeTargetJob.Chosen chosen = null;
        MixOptions overrides = o.overrides();
        if (o.target() != null) {
            // the types chosen from the imatrix codecs' measured sensitivity (docs/algorithms.md says why that proxy
            // holds for GPTQ too), then GPTQ inside them
            chosen = SizeTargetJob.choose(o.target(), false, imatrix, log);
            overrides = chosen.choice().options();
        }
        Map<String, GgmlType> types = GgufConverter.plannedTypes(pass.model(), GgufConverter.mixChooser(pass.model(), mix, overrides, true));
        GptqConfig cfg = o.config();
        long start = System.nanoTime();
        Map<String, GgufConverter.Encoded> encoded = new LinkedHashMap<>();
        ImportanceMatrix im;
        GgufConverter.Result r;
        try (LoadedModel loaded = ModelLoader.load(pass.model())) {
            im = o.imatrixFile() != null ? ImportanceMatrix.read(o.imatrixFile()) : imatrix.gather(loaded, pass.calibration(), log);
            if (o.scales() == GgufGptqQuantizer.ScaleChoice.HESSIAN) im = withUniformEmbedding(im, types, loaded.model().hiddenSize());
            LlamaModel llama = loaded.model();
            GptqTarget target = o.fit();
            float[] storedEmbedding = null;
            if (target.storedEmbedding()) {
                GgufConverter.Encoded e = storedEmbedding(llama, types, im);
                if (e == null) {
                    log.println("token_embd is not block-quantized in this mix: the quantized stream starts from the original embedding");
                    target = new GptqTarget(target.fit(), target.shrink(), target.shiftDamp(), false);
                } else {
                    // written as encoded here, so the file holds exactly the embedding the calibration stream started from
                    encoded.put(EMBEDDING, e);
                    storedEmbedding = Quantizers.dequantize(e.type(), e.bytes(), llama.vocabSize(), llama.hiddenSize());
                }
            }
            GgufGptqMethod method = new GgufGptqMethod(llama, hf -> types.get(LlamaTensorNames.toGguf(hf)), cfg, cfg.trueSequential(),
                    o.scales(), log).withTarget(target, storedEmbedding).withOrder(o.order());
            List<int[]> samples = pass.calibration().samples(Tokenizers.load(loaded.tokenizerDir()), CalibrationSampler.Style.GPTQ);
            log.printf(Locale.ROOT, "calibration: %d samples of %d tokens; GPTQ target %s%n", samples.size(), samples.getFirst().length, target);
            // fp-inputs: the runner reads an unquantized copy of the model, so every Hessian is the full-precision model's.
            LlamaModel runnerModel = target.runsQuantizedModel() ? llama : loaded.model();
            String targetKey = target.equals(GptqTarget.FP_INPUTS) ? "" : "|" + target;
            ScalingMethod scaling = o.scaling() != null ? o.scaling().create(runnerModel, llama) : null;
            CalibrationPass.run(runnerModel, samples, scaling != null ? new ChainedMethod(scaling, method) : method,
                    (scaling != null ? scaling.describe() + "|" : "") + "gguf-gptq|" + mix + "|" + types.values() + "|" + cfg + "|" + o.scales() + targetKey
                            + (o.order() == BlockOrder.NATURAL ? "" : "|" + o.order()),
                    pass.imatrixOutput() != null ? imatrix : null, pass, log);
            if (scaling != null) log.print(scaling.report());
            log.print(method.errorTable());
            for (var e : method.encoded().entrySet())
                encoded.put(LlamaTensorNames.toGguf(e.getKey()), new GgufConverter.Encoded(e.getValue().type(), e.getValue().bytes()));
            // AWQ-scaled: the norms, biases and unencoded projections come from the scaled model, still open
            GgufConverter.Source scaled = scaling != null ? scaledSource(loaded, runnerModel, scaling, method.encoded().keySet()) : null;
            r = scaled == null ? null : GgufConverter.convert(scaled, pass.output(), GgufConverter.mixChooser(scaled, mix, overrides, true),
                    im.withInputScales(LlamaTensorNames.toGgufKeys(scaling.inputScales())), pass.replace(), encoded);
        }
        if (r == null) r = GgufConverter.convert(pass.model(), pass.output(), GgufConverter.mixChooser(pass.model(), mix, overrides, true), im,
                pass.replace(), encoded);
        pass.deleteCheckpoints();
        return new Result(chosen, r, encoded.size() - (encoded.containsKey(EMBEDDING) ? 1 : 0), (System.nanoTime() - start) / 1e9);
    }

    private static final String EMBEDDING = LlamaTensorNames.toGguf(dev.calq.formats.model.WeightRole.EMBEDDING, -1);

    /**
     * token_embd encoded as the writer would encode it (its planned type, the importance matrix's entry if any, the
     * type's own search), or null when its type is not a block type.
     */
    static GgufConverter.Encoded storedEmbedding(LlamaModel model, Map<String, GgmlType> types, ImportanceMatrix im) {
        GgmlType t = types.get(EMBEDDING);
        if (t == null || t.blockSize() <= 1 || !Quantizers.supports(t)) return null;
        float[] data = model.embeddings().toFloatArray();
        return new GgufConverter.Encoded(t, Quantizers.quantize(t, data, model.vocabSize(), model.hiddenSize(), im.importance(EMBEDDING)));
    }

    /**
     * token_embd is a lookup that no observer sees, so the importance matrix has no entry for it and the type's
     * unweighted search runs (as in llama-quantize). With uniform weights the K-types' importance-weighted search runs
     * instead (finer scale grid, weighted sub-scale coding): the same type and size, 4.6% lower KL divergence for
     * the Q2_K mix on the shared model (docs/quality.md). The same for the IQ1-IQ3 codebook types, whose encoders
     * weigh by x^2 without an importance (IQ3_S) and by sqrt(sigma^2 + x^2) with a flat one: 3.1% lower KL divergence
     * for the imatrix-only IQ3_XXS mix, whose token_embd is IQ3_S. An entry the matrix already has is kept.
     */
    public static ImportanceMatrix withUniformEmbedding(ImportanceMatrix im, Map<String, GgmlType> types, int hidden) {
        String name = LlamaTensorNames.toGguf(dev.calq.formats.model.WeightRole.EMBEDDING, -1);
        GgmlType t = types.get(name);
        if (t == null || !(GgufGptqQuantizer.HESSIAN_SCALE_TYPES.contains(t) || Quantizers.hasPointGrid(t)) || im.entries().containsKey(name)) return im;
        float[] ones = new float[hidden];
        java.util.Arrays.fill(ones, 1f);
        Map<String, ImportanceMatrix.Entry> entries = new java.util.TreeMap<>(im.entries());
        entries.put(name, ImportanceMatrix.Entry.of(ones, null, 1));
        return new ImportanceMatrix(entries, im.chunkCount(), im.chunkSize(), im.datasets(), im.legacy());
    }

    /**
     * The model as the scaling left it ({@code model}: the runner's, scaled but unquantized), for the tensors GPTQ did not encode: the scaled norms and biases, and the
     * scaled float weight of every projection that kept a float type or one GPTQ cannot run inside (the converter
     * quantizes those with the importance matrix divided by the same scales).
     */
    private static GgufConverter.Source scaledSource(LoadedModel loaded, LlamaModel model, ScalingMethod scaling, Set<String> encoded) {
        OverlayTensorSource over = new OverlayTensorSource(loaded.weights());
        for (Tensor t : scaling.replacedTensors().values()) over.replace(t);
        for (int l = 0; l < model.numLayers(); l++)
            for (Projection p : Projection.values()) {
                String name = p.weightName(l);
                if (!encoded.contains(name))
                    over.replace(Tensor.ofFloats(name, model.weight(l, p), model.outFeatures(p), model.inFeatures(p)));
            }
        return loaded.ggufSource(over);
    }
}
