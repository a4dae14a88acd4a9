package dev.calq.cli;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.quant.QuantConfig;
import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.gptq.GptqCheckpointWriter;
import dev.calq.gptq.GptqMethod;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code calq quantize}: calibrate and quantize a Hugging Face model into a GPTQ, AWQ or GGUF file. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Quantize a Hugging Face model with GPTQ, RTN or AWQ (GPTQ/AWQ checkpoints) or to a GGUF mix.")
public final class QuantizeCommand implements Callable<Integer> {
    enum Method { gptq, rtn }

    enum Format { gptq, gguf }

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "Output folder (GPTQ/AWQ) or .gguf file.")
    Path output;

    @Option(names = "--method", defaultValue = "gptq", description = "gptq | rtn (default: ${DEFAULT-VALUE}).")
    Method method;

    @Option(names = "--format", description = "gptq | gguf (default: gptq).")
    Format format;

    @Mixin CalibrationOptions calibration = new CalibrationOptions();

    @Option(names = "--bits", defaultValue = "4", description = "2, 3, 4 or 8 (default: ${DEFAULT-VALUE}).")
    int bits;

    @Option(names = "--group-size", defaultValue = "128", description = "-1 (per channel), 32, 64, 128 ... (default: ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(names = "--sym", negatable = true, description = "Symmetric grid (default: on for gptq/rtn; AWQ uses zero points unless --no-zero-point).")
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
        Format fmt = format != null ? format : Format.gptq;
        if (fmt == Format.gguf) return GgufQuantize.run(model, output, calibration, gguf, overwrite, log);
        AtomicOutput.checkTarget(output, overwrite || resume, model);
        QuantConfig cfg = new QuantConfig(bits, groupSize, sym == null || sym,
                actOrder, staticGroups, damp, blockSize, mseClip);

        long start = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(model)) {
            LlamaModel llama = loaded.model();
            GptqMethod.Algorithm algo = method == Method.gptq ? GptqMethod.Algorithm.GPTQ : GptqMethod.Algorithm.RTN;
            GptqMethod gptq = new GptqMethod(llama, cfg, algo, trueSequential, compareRtn, log);
            if (method == Method.rtn && !calibration.given()) {
                RtnWithoutCalibration.quantizeAll(llama, cfg, gptq);
            } else {
                Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
                List<int[]> samples = calibration.samples(tok, CalibrationSampler.Style.GPTQ);
                log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
                runLayers(llama, samples, gptq, "gptq|" + cfg + "|" + algo + "|" + trueSequential + "|" + compareRtn, log);
                log.print(gptq.errorTable());
            }
            List<String> warnings = GptqCheckpointWriter.write(model, loaded.weights(), gptq.quantized(), cfg, trueSequential,
                    dev.calq.formats.safetensors.SafetensorsWriter.DEFAULT_SHARD_BYTES, output, overwrite || resume);
            for (String w : warnings) log.println("warning: " + w);
        }
        deleteWorkDir();
        System.out.printf(Locale.ROOT, "wrote %s (%s %d-bit, group %d, %s) in %.1fs%n", output, method, bits, groupSize,
                cfg.sym() ? "symmetric" : "asymmetric", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** Runs the calibration runner with this command's memory and checkpoint options. */
    CalibrationRunner.Result runLayers(LlamaModel llama, List<int[]> samples, LayerMethod method, String key, PrintStream log) {
        RunnerOptions opts = new RunnerOptions(memoryBudget(), workDir(), resume,
                model.toAbsolutePath() + "|" + calibration.describe() + "|" + key, log);
        CalibrationRunner runner = new CalibrationRunner(llama, samples, method, opts);
        CalibrationRunner.Result r = runner.run();
        log.print(CalibrationRunner.timingTable(r));
        log.printf(Locale.ROOT, "calibration: %,d tokens per pass, %.1fs, %,.0f tok/s per pass%n", r.tokens(), r.seconds(),
                r.tokens() * (r.timings().isEmpty() ? 0 : r.timings().getFirst().passes()) * r.timings().size() / Math.max(r.seconds(), 1e-9));
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
