package dev.calq.cli;

import dev.calq.awq.AwqConfig;
import dev.calq.awq.AwqModelQuantizer;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.quant.QuantConfig;
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
import dev.calq.gptq.GptqMethod;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import dev.calq.gptq.GridCheckpointFormat;
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

    @Option(names = "--method", defaultValue = "gptq", description = "gptq | rtn | awq (default: ${DEFAULT-VALUE}).")
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

    @Override
    public Integer call() {
        PrintStream log = System.err;
        Format fmt = format != null ? format : method == Method.awq ? Format.awq : Format.gptq;
        if (fmt == Format.gguf) return GgufQuantize.run(model, output, calibration, gguf, overwrite, log);
        if (fmt == Format.awq && method != Method.awq) throw new CalqException("--format awq needs --method awq");
        if (fmt == Format.nf4) {
            if (method == Method.awq) throw new CalqException("--format nf4 is written from --method rtn (plain NF4) or gptq (GPTQ rounding onto the NF4 code); AWQ scaling before NF4 is not implemented");
            if (actOrder) throw new CalqException("--format nf4 stores contiguous 64-blocks; --act-order does not apply");
        }
        GridCheckpointFormat grid = gridFormat(fmt);
        AtomicOutput.checkTarget(output, overwrite || resume, model);
        if (method == Method.awq) return awq(fmt, grid, log);
        // NF4/FP4: bitsandbytes' 64-blocks with absmax scales, rounded onto the 16-value code table.
        QuantConfig cfg = fmt == Format.nf4 ? new QuantConfig(4, Bnb4BitLayer.BLOCK, true, false, false, damp, blockSize, false)
                : new QuantConfig(bits, groupSize, sym == null || sym, actOrder, staticGroups, damp, blockSize, mseClip);
        Bnb4BitType bnb = fmt == Format.nf4 ? BnbQuantize.type(bnbType) : null;

        long start = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(model)) {
            LlamaModel llama = loaded.model();
            GptqMethod.Algorithm algo = method == Method.gptq ? GptqMethod.Algorithm.GPTQ : GptqMethod.Algorithm.RTN;
            GptqMethod gptq = new GptqMethod(llama, cfg, algo, trueSequential, compareRtn, log);
            if (bnb != null) gptq.withGrid(new CodebookGrid(bnb.code()));
            if (method == Method.rtn && !calibration.given()) {
                RtnWithoutCalibration.quantizeAll(llama, cfg, gptq);
            } else {
                Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
                List<int[]> samples = calibration.samples(tok, CalibrationSampler.Style.GPTQ);
                log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
                runLayers(llama, samples, gptq, "gptq|" + cfg + "|" + algo + "|" + trueSequential + "|" + compareRtn, log);
                log.print(gptq.errorTable());
            }
            List<String> warnings = bnb != null
                    ? BnbQuantize.write(model, loaded.weights(), gptq.quantized(), bnb, doubleQuant, output, overwrite || resume)
                    : grid.write(model, loaded.weights(), gptq.quantized(), cfg, trueSequential,
                            dev.calq.formats.safetensors.SafetensorsWriter.DEFAULT_SHARD_BYTES, output, overwrite || resume);
            for (String w : warnings) log.println("warning: " + w);
        }
        deleteWorkDir();
        if (bnb != null)
            System.out.printf(Locale.ROOT, "wrote %s (%s, bitsandbytes %s in blocks of 64, %s) in %.1fs%n", output, method, bnb.jsonName(),
                    doubleQuant ? "double-quantized absmax" : "float32 absmax", (System.nanoTime() - start) / 1e9);
        else System.out.printf(Locale.ROOT, "wrote %s (%s, %s format, %d-bit, group %d, %s) in %.1fs%n", output, method, formatName(fmt), bits,
                groupSize, cfg.sym() ? "symmetric" : "asymmetric", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** AWQ: search, fold and clip per layer through the runner, RTN of the scaled weights, AWQ GEMM or GPTQ output. */
    private int awq(Format fmt, GridCheckpointFormat grid, PrintStream log) {
        if (actOrder) throw new CalqException("--act-order does not apply to AWQ");
        if (fmt == Format.awq && bits != 4) throw new CalqException("--format awq stores 4-bit weights; use --format gptq for " + bits + " bits");
        QuantConfig cfg = new QuantConfig(bits, groupSize, sym != null && sym, false, false, damp, blockSize, mseClip);
        AwqConfig awqConfig;
        try {
            awqConfig = new AwqConfig(awqGrid, duoScaling, awqClip, maxShrink, 20, 512, awqGqaOutput);
        } catch (IllegalArgumentException e) {
            throw new CalqException(e.getMessage());
        }
        long start = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(model)) {
            LlamaModel llama = loaded.model();
            Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
            List<int[]> samples = calibration.samples(tok, CalibrationSampler.Style.AWQ);
            log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
            AwqModelQuantizer awq = new AwqModelQuantizer(llama, cfg, awqConfig, awqMaxTokens != null ? awqMaxTokens : Long.MAX_VALUE);
            runLayers(llama, samples, awq, "awq|" + cfg + "|" + awqConfig + "|" + awqMaxTokens, log);
            log.print(awq.reportTable());
            long shard = dev.calq.formats.safetensors.SafetensorsWriter.DEFAULT_SHARD_BYTES;
            if (fmt == Format.awq) awq.writeAwq(model, loaded.weights(), output, overwrite || resume, shard);
            else for (String w : awq.write(grid, model, loaded.weights(), output, overwrite || resume, shard)) log.println("warning: " + w);
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

    /** Runs the calibration runner with this command's memory and checkpoint options. */
    CalibrationRunner.Result runLayers(LlamaModel llama, List<int[]> samples, LayerMethod method, String key, PrintStream log) {
        // --imatrix-output: an importance matrix of the same activations, for a later GGUF with calq or llama-quantize.
        dev.calq.imatrix.ImatrixAlongside imatrix = gguf.imatrixOutput != null ? new dev.calq.imatrix.ImatrixAlongside(method) : null;
        RunnerOptions opts = new RunnerOptions(memoryBudget(), workDir(), resume,
                model.toAbsolutePath() + "|" + calibration.describe() + "|" + key + "|imatrix=" + (imatrix != null), log);
        if (imatrix != null) AtomicOutput.checkTarget(gguf.imatrixOutput, overwrite || resume, model);
        CalibrationRunner runner = new CalibrationRunner(llama, samples, imatrix != null ? imatrix : method, opts);
        CalibrationRunner.Result r = runner.run();
        if (imatrix != null) {
            dev.calq.imatrix.ImatrixCollection.toImportanceMatrix(imatrix.imatrix(), llama.numLayers(), samples.size(),
                    samples.getFirst().length, List.of(calibration.calibration)).write(gguf.imatrixOutput, false, true);
            log.println("wrote the importance matrix of this run's activations to " + gguf.imatrixOutput);
        }
        log.print(CalibrationRunner.timingTable(r));
        long layerPasses = r.timings().stream().mapToLong(CalibrationRunner.LayerTiming::passes).sum();
        // Tokens through the whole model per second, counting every pass of every layer (observers and updates included).
        log.printf(Locale.ROOT, "calibration: %,d tokens, %d layer passes, %.1fs, %,.0f model-equivalent tok/s%n", r.tokens(), layerPasses,
                r.seconds(), r.tokens() * (double) layerPasses / Math.max(1, llama.numLayers()) / Math.max(r.seconds(), 1e-9));
        return r;
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
