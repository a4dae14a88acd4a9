package dev.calq.cli;

import dev.calq.awq.AwqConfig;
import dev.calq.awq.AwqModelQuantizer;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.formats.bnb.Bnb4BitLayer;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.gguf.llama.LlamaTensorNames;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.formats.tensor.OverlayTensorSource;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import dev.calq.gptq.GptqConfig;
import dev.calq.gptq.GptqMethod;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code calq quantize}: calibrate and quantize a Hugging Face model into a GPTQ, AWQ or GGUF file. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Quantize a Hugging Face model with GPTQ, RTN or AWQ (GPTQ/AWQ checkpoints) or to a GGUF mix.")
public final class QuantizeCommand implements Callable<Integer> {
    enum Method { gptq, rtn, awq }

    enum Format {
        gptq, awq, gguf, compressed_tensors, nf4;

        /** The option's spelling: compressed-tensors with a hyphen, as the format calls itself. */
        static final class Converter implements CommandLine.ITypeConverter<Format> {
            @Override public Format convert(String v) {
                for (Format f : values()) if (f.name().replace('_', '-').equals(v)) return f;
                throw new CommandLine.TypeConversionException("'" + v + "' is not one of gptq, awq, gguf, compressed-tensors, nf4");
            }
        }
    }

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "Output folder (GPTQ/AWQ) or .gguf file.")
    Path output;

    @Option(names = "--method", description = "gptq | rtn | awq (default: rtn for --format gguf, else gptq; gptq with --format gguf runs GPTQ inside the mix's block types).")
    Method method;

    @Option(names = "--format", converter = Format.Converter.class,
            description = "gptq | awq | gguf | compressed-tensors | nf4 (bitsandbytes 4-bit) (default: awq for --method awq, else gptq).")
    Format format;

    @Option(names = "--checkpoint-format", defaultValue = "gptq",
            description = "GPTQ checkpoints: gptq (v1, zero points minus one, what vLLM and transformers load) or gptq_v2 (GPTQModel's true zero points) (default: ${DEFAULT-VALUE}).")
    String checkpointFormat;

    @Option(names = "--bnb-type", defaultValue = "nf4", description = "--format nf4: the bitsandbytes 4-bit type, nf4 or fp4 (default: ${DEFAULT-VALUE}).")
    String bnbType;

    @Option(names = "--double-quant", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "--format nf4: quantize the absmax values again (bnb_4bit_use_double_quant; default: on).")
    boolean doubleQuant;

    @Mixin CalibrationOptions calibration = new CalibrationOptions();

    @Option(names = "--bits", defaultValue = "4", description = "2, 3, 4 or 8 (default: ${DEFAULT-VALUE}).")
    int bits;

    @Option(names = "--group-size", defaultValue = "128", description = "-1 (per channel), 32, 64, 128 ... (default: ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(names = "--sym", negatable = true, description = "Symmetric grid (default: on for gptq/rtn; off for awq, which uses zero points as AutoAWQ does).")
    Boolean sym;

    @Option(names = "--act-order", description = "GPTQ: quantize columns by decreasing Hessian diagonal (desc_act).")
    boolean actOrder;

    @Option(names = "--static-groups", description = "GPTQ: group scales from the unmodified weight.")
    boolean staticGroups;

    @Option(names = "--damp", defaultValue = "0.01", description = "GPTQ dampening, fraction of the mean Hessian diagonal (default: ${DEFAULT-VALUE}).")
    double damp;

    @Option(names = "--block-size", defaultValue = "128", description = "GPTQ lazy-batch block (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--mse-clip", description = "Search a clipped min/max range per group minimising the error (GPTQ's mse option).")
    boolean mseClip;

    @Option(names = "--true-sequential", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "GPTQ: observe each projection group after the earlier ones are quantized (default: on).")
    boolean trueSequential;

    @Option(names = "--compare-rtn", description = "Also report RTN's output error per projection.")
    boolean compareRtn;

    @Option(names = "--awq-grid", defaultValue = "20", description = "AWQ: scale exponents tried per group (default: ${DEFAULT-VALUE}).")
    int awqGrid;

    @Option(names = "--duo-scaling", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "AWQ: scales from activation and weight magnitudes, AutoAWQ's default (--no-duo-scaling: llm-awq's activation-only scales).")
    boolean duoScaling;

    @Option(names = "--awq-clip", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "AWQ: search a clipping range per output group after scaling (default: on).")
    boolean awqClip;

    @Option(names = "--max-shrink", defaultValue = "0.5", description = "AWQ clip search: smallest range tried is 1 - this (default: ${DEFAULT-VALUE}).")
    double maxShrink;

    @Option(names = "--awq-gqa-output", description = "AWQ: also scale v_proj -> o_proj under grouped-query attention (one scale per kv channel).")
    boolean awqGqaOutput;

    @Option(names = "--awq-max-tokens", paramLabel = "N", description = "AWQ: cache at most N tokens of each layer's inputs (default: all calibration tokens).")
    Long awqMaxTokens;

    @Mixin GgufOptions gguf = new GgufOptions();

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory budget, e.g. 8g or 512m (default: 60%% of the heap); hidden states beyond it spill to disk.")
    String memory;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Checkpoint folder (default: OUTPUT.calq-work beside the output).")
    Path workDir;

    @Option(names = "--resume", description = "Continue a killed run from its last finished layer (same command plus --resume).")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace an existing output.")
    boolean overwrite;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintStream log = System.err;
        Method m = method != null ? method : format == Format.gguf ? Method.rtn : Method.gptq;
        Format fmt = format != null ? format : m == Method.awq ? Format.awq : Format.gptq;
        List<GgufJob.Target> also = alsoGguf();
        MethodEncoding.check(m.name(), fmt.name(), method != null, !also.isEmpty());
        OptionApplicability.check(spec.commandLine().getParseResult(), m.name(), fmt.name(), calibration.given(), !also.isEmpty());
        if (gguf.imatrix != null && !(fmt == Format.gguf && m != Method.awq))
            throw new CalqException("--imatrix applies to --format gguf with --method rtn or gptq; a " + m + " run uses the importance matrix of its own calibration pass");
        if (gguf.mixFlags.dryRun && !(fmt == Format.gguf && m == Method.rtn))
            throw new CalqException("--dry-run plans a GGUF file of --type: use it with --format gguf (method rtn); a " + m + " run has to calibrate first");
        if (fmt == Format.gguf && m == Method.rtn) {
            requireHfFolder();
            return GgufQuantize.run(model, output, calibration, gguf, overwrite, log);
        }
        if (fmt == Format.gguf && m == Method.gptq) return GgufGptqQuantize.run(this, log);
        if (fmt == Format.nf4) {
            if (m == Method.awq) throw new CalqException("--format nf4 is written from --method rtn (plain NF4) or gptq (GPTQ rounding onto the NF4 code); AWQ scaling before NF4 is not implemented");
            if (actOrder) throw new CalqException("--format nf4 stores contiguous 64-blocks; --act-order does not apply");
        }
        GridCheckpointFormat grid = gridFormat(fmt);
        AtomicOutput.checkTarget(output, overwrite || resume, model, calibration.path());
        for (GgufJob.Target t : also) AtomicOutput.checkTarget(t.output(), overwrite || resume, model, calibration.path(), output);
        if (gguf.imatrixOutput != null) AtomicOutput.checkTarget(gguf.imatrixOutput, overwrite || resume, model, calibration.path(), output);
        if (m == Method.awq) return awq(fmt, grid, also, log);
        // NF4/FP4: bitsandbytes' 64-blocks with absmax scales, rounded onto the 16-value code table.
        GptqConfig cfg = fmt == Format.nf4
                ? new GptqConfig(new GridConfig(4, Bnb4BitLayer.BLOCK, true, false), false, false, damp, blockSize, trueSequential)
                : new GptqConfig(new GridConfig(bits, groupSize, sym == null || sym, mseClip), actOrder, staticGroups, damp, blockSize, trueSequential);
        Bnb4BitType bnb = fmt == Format.nf4 ? BnbQuantize.type(bnbType) : null;

        requireHfFolder();
        long start = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(model)) {
            LlamaModel llama = loaded.model();
            GptqMethod.Algorithm algo = m == Method.gptq ? GptqMethod.Algorithm.GPTQ : GptqMethod.Algorithm.RTN;
            GptqMethod gptq = new GptqMethod(llama, cfg, algo, compareRtn, log);
            if (bnb != null) gptq.withGrid(new CodebookGrid(bnb.code()));
            ImportanceMatrix im = null;
            if (m == Method.rtn && !calibration.given()) {
                RtnWithoutCalibration.quantizeAll(llama, cfg.grid(), gptq);
            } else {
                Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
                List<int[]> samples = calibration.samples(tok, CalibrationSampler.Style.GPTQ);
                log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
                im = runLayers(llama, samples, gptq, "gptq|" + cfg + "|" + algo + "|" + compareRtn + (bnb != null ? "|" + bnb.jsonName() : ""),
                        !also.isEmpty(), log);
                log.print(gptq.errorTable());
            }
            List<String> warnings = bnb != null
                    ? BnbQuantize.write(model, loaded.weights(), gptq.quantized(), bnb, doubleQuant, output, overwrite || resume)
                    : grid.write(model, loaded.weights(), gptq.quantized(), cfg.checkpointConfig(),
                            dev.calq.formats.safetensors.SafetensorsWriter.DEFAULT_SHARD_BYTES, output, overwrite || resume);
            for (String w : warnings) log.println("warning: " + w);
            if (!also.isEmpty()) {
                // The GGUF files beside a checkpoint hold the original weights, quantized by the mix with this
                // pass's importance matrix; GPTQ inside the block types needs its own pass (--format gguf).
                log.println("note: --also-gguf after " + m + " writes the original weights (llama-quantize's rounding"
                        + (im != null ? " with this run's importance matrix" : "") + "); for GPTQ inside the ggml block types run --method gptq --format gguf");
                writeGguf(loaded, loaded.weights(), im, also);
            }
        }
        deleteWorkDir();
        if (bnb != null)
            System.out.printf(Locale.ROOT, "wrote %s (%s, bitsandbytes %s in blocks of 64, %s) in %.1fs%n", output, m, bnb.jsonName(),
                    doubleQuant ? "double-quantized absmax" : "float32 absmax", (System.nanoTime() - start) / 1e9);
        else System.out.printf(Locale.ROOT, "wrote %s (%s, %s format, %d-bit, group %d, %s) in %.1fs%n", output, m, formatName(fmt), bits,
                groupSize, cfg.sym() ? "symmetric" : "asymmetric", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** The --also-gguf targets, parsed and checked before any work. */
    private List<GgufJob.Target> alsoGguf() {
        List<GgufJob.Target> out = new ArrayList<>();
        for (String spec : gguf.alsoGguf) out.add(GgufJob.Target.parse(spec, gguf.mixFlags.options()));
        return out;
    }

    /**
     * AWQ: search, fold and clip per layer through the runner, then RTN of the scaled weights into an AWQ GEMM, GPTQ (v1/v2) or
     * compressed-tensors checkpoint, or the scaled float weights into a GGUF mix (with this pass's importance matrix, divided by the
     * folded scales so that it describes the activations the scaled weights now read); --also-gguf does both.
     */
    private int awq(Format fmt, GridCheckpointFormat grid, List<GgufJob.Target> also, PrintStream log) {
        if (actOrder) throw new CalqException("--act-order does not apply to AWQ");
        if (fmt == Format.awq && bits != 4) throw new CalqException("--format awq stores 4-bit weights; use --format gptq for " + bits + " bits");
        GridConfig cfg = new GridConfig(bits, groupSize, sym != null && sym, mseClip);
        AwqConfig awqConfig;
        try {
            awqConfig = new AwqConfig(awqGrid, duoScaling, awqClip, maxShrink, 20, 512, awqGqaOutput);
        } catch (IllegalArgumentException e) {
            throw new CalqException(e.getMessage());
        }
        List<GgufJob.Target> ggufOut = new ArrayList<>(also);
        if (fmt == Format.gguf) ggufOut.addFirst(new GgufJob.Target(gguf.type, gguf.mixFlags.options(), output));
        requireHfFolder();
        long start = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(model)) {
            LlamaModel llama = loaded.model();
            Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
            List<int[]> samples = calibration.samples(tok, CalibrationSampler.Style.AWQ);
            if (calibration.sampling == null || calibration.sampling == CalibrationSampler.Style.AWQ)
                // AutoAWQ's n_samples counts documents, which are then joined and cut: say so, or "16 -> 2" looks like a bug.
                log.printf(Locale.ROOT, "calibration: %d blocks of %d tokens, cut from the first %d documents joined (AutoAWQ's --nsamples counts documents)%n",
                        samples.size(), samples.getFirst().length, calibration.nsamples);
            else log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
            AwqModelQuantizer awq = new AwqModelQuantizer(llama, cfg, awqConfig, awqMaxTokens != null ? awqMaxTokens : Long.MAX_VALUE);
            if (!ggufOut.isEmpty()) awq.keepFloatWeights();
            ImportanceMatrix im = runLayers(llama, samples, awq, "awq|" + cfg + "|" + awqConfig + "|" + awqMaxTokens
                    + (ggufOut.isEmpty() ? "" : "|float"), !ggufOut.isEmpty(), log);
            log.print(awq.reportTable());
            long shard = dev.calq.formats.safetensors.SafetensorsWriter.DEFAULT_SHARD_BYTES;
            if (fmt == Format.awq) awq.writeAwq(model, loaded.weights(), output, overwrite || resume, shard);
            else if (grid != null) for (String w : awq.write(grid, model, loaded.weights(), output, overwrite || resume, shard)) log.println("warning: " + w);
            if (!ggufOut.isEmpty()) {
                OverlayTensorSource scaled = new OverlayTensorSource(loaded.weights());
                for (var e : awq.floatWeights().entrySet()) {
                    float[] w = e.getValue();
                    long[] shape = loaded.weights().get(e.getKey()).shape();
                    scaled.replace(Tensor.ofFloats(e.getKey(), w, shape));
                }
                for (Tensor t : awq.scaledTensors().values()) scaled.replace(t);
                Map<String, float[]> scales = new LinkedHashMap<>();
                for (var e : awq.inputScales().entrySet()) scales.put(LlamaTensorNames.toGguf(e.getKey()), e.getValue());
                writeGguf(loaded, scaled, im.withInputScales(scales), ggufOut);
            }
        }
        deleteWorkDir();
        System.out.printf(Locale.ROOT, "wrote %s (awq, %s format, %d-bit, group %d, %s) in %.1fs%n", output, formatName(fmt), bits, groupSize,
                cfg.sym() ? "symmetric" : "zero points", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** The grid checkpoint layout for {@code fmt} and --checkpoint-format (null for the AWQ GEMM layout). */
    GridCheckpointFormat gridFormat(Format fmt) {
        if (!checkpointFormat.equals("gptq") && !checkpointFormat.equals("gptq_v2"))
            throw new CalqException("--checkpoint-format " + checkpointFormat + " is not known (gptq or gptq_v2)");
        if (checkpointFormat.equals("gptq_v2") && fmt != Format.gptq) throw new CalqException("--checkpoint-format gptq_v2 applies to --format gptq");
        return switch (fmt) {
            case gptq -> checkpointFormat.equals("gptq_v2") ? GridCheckpointFormat.GPTQ_V2 : GridCheckpointFormat.GPTQ;
            case compressed_tensors -> GridCheckpointFormat.COMPRESSED_TENSORS;
            default -> null;
        };
    }

    static String formatName(Format fmt) { return fmt.name().replace('_', '-'); }

    /** Writes each GGUF target from the open model's folder metadata and {@code weights}. */
    private void writeGguf(LoadedModel loaded, TensorSource weights, ImportanceMatrix im, List<GgufJob.Target> targets) {
        if (!"safetensors".equals(loaded.format()))
            throw CalqException.file(loaded.path(), "a GGUF output needs a Hugging Face model folder (its tokenizer files), not a " + loaded.format() + " model");
        GgufConverter.Source source = new GgufConverter.Source(loaded.path(), loaded.config(), weights);
        PrintWriter out = new PrintWriter(System.out, true);
        for (GgufJob.Target t : targets) {
            long t0 = System.nanoTime();
            GgufConverter.Result r = GgufJob.write(source, t, im, overwrite || resume);
            ConvertCommand.printSummary(out, r, t.mix(), (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * Runs the calibration runner with this command's memory and checkpoint options. Returns the importance matrix of
     * the run's activations when --imatrix-output or {@code wantImatrix} asks for it (written to --imatrix-output), else null.
     */
    ImportanceMatrix runLayers(LlamaModel llama, List<int[]> samples, LayerMethod method, String key, boolean wantImatrix, PrintStream log) {
        // --imatrix-output: an importance matrix of the same activations, for a later GGUF with calq or llama-quantize.
        dev.calq.imatrix.ImatrixAlongside imatrix = gguf.imatrixOutput != null || wantImatrix ? new dev.calq.imatrix.ImatrixAlongside(method) : null;
        RunnerOptions opts = new RunnerOptions(memoryBudget(), workDir(), resume,
                model.toAbsolutePath() + "|" + calibration.describe() + "|" + key + "|imatrix=" + (imatrix != null), log);
        CalibrationRunner runner = new CalibrationRunner(llama, samples, imatrix != null ? imatrix : method, opts);
        CalibrationRunner.Result r = runner.run();
        ImportanceMatrix im = null;
        if (imatrix != null) {
            im = dev.calq.imatrix.ImatrixCollection.toImportanceMatrix(imatrix.imatrix(), llama.numLayers(), samples.size(),
                    samples.getFirst().length, List.of(calibration.calibration));
            if (gguf.imatrixOutput != null) {
                im.write(gguf.imatrixOutput, false, true);
                log.println("wrote the importance matrix of this run's activations to " + gguf.imatrixOutput);
            }
        }
        log.print(CalibrationRunner.timingTable(r));
        long layerPasses = r.timings().stream().mapToLong(CalibrationRunner.LayerTiming::passes).sum();
        // The progress lines' figure: calibration tokens through the whole model per second (every pass and update is time).
        int layersRun = r.timings().size();
        log.printf(Locale.ROOT, "calibration: %,d tokens through %d layers (%d passes, early-stopping ones included), %.1fs, %,.0f tok/s%n",
                r.tokens(), layersRun, layerPasses, r.seconds(),
                r.tokens() * (double) layersRun / Math.max(1, llama.numLayers()) / Math.max(r.seconds(), 1e-9));
        return im;
    }

    /**
     * Every output is written from a Hugging Face folder (config.json, side files): refuse anything else before the
     * model is loaded and calibrated, not when the writer finally needs the folder.
     */
    void requireHfFolder() {
        if (!Files.isDirectory(model))
            throw CalqException.file(model, Files.exists(model) ? "is a file; quantize reads a Hugging Face model folder (config.json and safetensors)" : "not found");
        dev.calq.formats.model.ModelConfig.load(model);
    }

    Path workDir() {
        if (workDir != null) return workDir;
        Path abs = output.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + ".calq-work");
    }

    void deleteWorkDir() {
        Path dir = workDir();
        if (Files.isDirectory(dir)) AtomicOutput.discard(dir);
    }

    long memoryBudget() {
        if (memory == null) return RunnerOptions.defaultBudget();
        return Sizes.parse(memory, "--memory");
    }
}
