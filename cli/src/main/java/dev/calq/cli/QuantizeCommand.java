package dev.calq.cli;

import dev.calq.awq.AwqConfig;
import dev.calq.awq.AwqJob;
import dev.calq.awq.AwqScaling;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.runner.PassOptions;
import dev.calq.calibration.runner.ScalingMethod;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.bnb.Bnb4BitLayer;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.formats.bnb.BnbQuantize;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.gguf.llama.GgufReport;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.gptq.GgufGptqJob;
import dev.calq.gptq.GptqConfig;
import dev.calq.gptq.GptqJob;
import dev.calq.gptq.GptqMethod;
import dev.calq.gptq.sensitivity.SizeTargetJob;
import dev.calq.imatrix.ImatrixGgufJob;
import dev.calq.imatrix.LlamaImatrix;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code calq quantize}: calibrate and quantize a Hugging Face model into a GPTQ, AWQ or GGUF file. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Quantize a Hugging Face model with GPTQ, RTN or AWQ (GPTQ/AWQ checkpoints) or to a GGUF mix.")
public final class QuantizeCommand implements Callable<Integer> {
    enum Method {
        gptq, rtn, awq, awq_gptq;

        /** The option's spelling: awq+gptq for AWQ's scales, then GPTQ on the scaled weights. */
        String spelling() { return this == awq_gptq ? "awq+gptq" : name(); }

        static final class Converter implements CommandLine.ITypeConverter<Method> {
            @Override public Method convert(String v) {
                for (Method m : values()) if (m.spelling().equals(v)) return m;
                throw new CommandLine.TypeConversionException("'" + v + "' is not one of gptq, rtn, awq, awq+gptq");
            }
        }
    }

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

    @Option(names = "--method", converter = Method.Converter.class,
            description = "gptq | rtn | awq | awq+gptq (default: rtn for --format gguf, else gptq; gptq with --format gguf runs GPTQ inside the mix's block types; "
                    + "awq+gptq folds AWQ's scales into each layer, then runs GPTQ on the scaled weights).")
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

    @Mixin GridOptions grid = new GridOptions();

    @Mixin GptqOptions gptq = new GptqOptions();

    @Mixin AwqOptions awq = new AwqOptions();

    @Mixin GgufOptions gguf = new GgufOptions();

    @Mixin PassFlags passFlags = new PassFlags();

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintStream log = System.err, out = System.out;
        Method m = method != null ? method : format == Format.gguf ? Method.rtn : Method.gptq;
        Format fmt = format != null ? format : m == Method.awq ? Format.awq : Format.gptq;
        List<GgufJob.Target> also = new ArrayList<>();
        for (String spec : gguf.alsoGguf) also.add(GgufJob.Target.parse(spec, gguf.types.mixFlags.options()));
        MethodEncoding.check(m.spelling(), fmt.name(), method != null, !also.isEmpty());
        OptionApplicability.check(spec.commandLine().getParseResult(), m.spelling(), fmt.name(), calibration.given(), !also.isEmpty());
        if (gguf.types.imatrix != null && !(fmt == Format.gguf && m != Method.awq))
            throw new CalqException("--imatrix applies to --format gguf with --method rtn, gptq or awq+gptq; --method " + m.spelling() + " "
                    + (fmt == Format.gguf ? "" : "into --format " + formatName(fmt) + " ") + "uses the importance matrix of its own calibration pass");
        if (gguf.types.mixFlags.dryRun && !(fmt == Format.gguf && m == Method.rtn))
            throw new CalqException("--dry-run plans a GGUF file of --type: use it with --format gguf (method rtn); --method " + m.spelling() + " has to calibrate first");
        PassOptions pass = passFlags.options(model, output, calibration, gguf.imatrixOutput);
        if (fmt == Format.gguf && m == Method.rtn) return ggufRtn(pass, log);
        ScalingMethod.Factory scaling = null;
        if (m == Method.awq_gptq) {
            if (!calibration.given()) throw new CalqException("--method awq+gptq needs --calibration (AWQ's search and GPTQ's Hessians come from it)");
            // AWQ's search measures its candidate scales by rounding onto the checkpoint's grid (for GGUF: the
            // --bits/--group-size grid with zero points, as --method awq --format gguf searches)
            GridConfig search = grid.config(fmt != Format.gguf);
            AwqConfig awqConfig = awq.config();
            // GPTQ's calibration (128 x 512 tokens) is 8x what AWQ's search is made for (16 x 512), and the search
            // costs about 80 layer passes over its cache: it reads the first 8192 tokens unless told otherwise
            long maxTokens = awq.maxTokens(AwqOptions.AWQ_GPTQ_MAX_TOKENS);
            scaling = (runner, quantized) -> new AwqScaling(runner, quantized, search, awqConfig, maxTokens);
        }
        if (fmt == Format.gguf && (m == Method.gptq || m == Method.awq_gptq)) {
            // The grid is the mix's; static groups do not apply inside ggml blocks (act-order is passed on to be refused).
            GptqConfig cfg = new GptqConfig(GridConfig.defaults(), gptq.actOrder, false, gptq.damp(true), gptq.blockSize, gptq.trueSequential);
            // --resume replaces what the killed run wrote before its GPTQ pass (the types file), as it does the output
            SizeTargetJob.Options target = gguf.target.given() ? gguf.target(model, output, calibration, pass.replace()) : null;
            QuantMix mix = QuantMix.forName(gguf.types.type);
            JobLines.ggufGptq(new PrintWriter(out, true), log, GgufGptqJob.run(new GgufGptqJob.Options(pass, mix, gguf.types.mixFlags.options(),
                    gguf.types.imatrix, cfg, gptq.ggufScaleChoice(), target, gptq.ggufTarget(scaling != null, spec.commandLine().getParseResult()), scaling,
                    gptq.ggufBlockOrder()), new LlamaImatrix(), log), mix, output);
            return 0;
        }
        if (fmt == Format.nf4) {
            if (gptq.actOrder) throw new CalqException("--format nf4 stores contiguous 64-blocks; --act-order does not apply");
        }
        GridCheckpointFormat checkpoint = gridFormat(fmt);
        if (m == Method.awq) {
            if (gptq.actOrder) throw new CalqException("--act-order does not apply to AWQ");
            if (fmt == Format.awq && grid.bits != 4) throw new CalqException("--format awq stores 4-bit weights; use --format gptq for " + grid.bits + " bits");
            // NF4/FP4: the search and the final rounding on bitsandbytes' code table in 64-blocks with absmax scales.
            Bnb4BitType bnb = fmt == Format.nf4 ? BnbQuantize.type(bnbType) : null;
            GridConfig cfg = bnb != null ? new GridConfig(4, Bnb4BitLayer.BLOCK, true, false) : grid.config(false);
            AwqConfig awqConfig = awq.config();
            List<GgufJob.Target> ggufOut = new ArrayList<>(also);
            if (fmt == Format.gguf) ggufOut.addFirst(new GgufJob.Target(gguf.types.type, gguf.types.mixFlags.options(), output));
            JobLines.awq(new PrintWriter(out, true), AwqJob.run(new AwqJob.Options(pass, cfg, awqConfig, awq.maxTokens(Long.MAX_VALUE),
                    awq.awqMaxTokens, fmt == Format.awq, checkpoint, bnb, doubleQuant, ggufOut, formatName(fmt)), new LlamaImatrix(), log));
            return 0;
        }
        // NF4/FP4: bitsandbytes' 64-blocks with absmax scales, rounded onto the 16-value code table.
        GptqConfig cfg = fmt == Format.nf4
                ? new GptqConfig(new GridConfig(4, Bnb4BitLayer.BLOCK, true, false), false, false, gptq.damp(false), gptq.blockSize, gptq.trueSequential)
                : gptq.config(grid.config(true));
        Bnb4BitType bnb = fmt == Format.nf4 ? BnbQuantize.type(bnbType) : null;
        GptqMethod.Algorithm algo = m == Method.rtn ? GptqMethod.Algorithm.RTN : GptqMethod.Algorithm.GPTQ;
        JobLines.gptq(new PrintWriter(out, true), GptqJob.run(new GptqJob.Options(pass, algo, cfg, gptq.compareRtn, checkpoint, bnb, doubleQuant,
                also, formatName(fmt), scaling), new LlamaImatrix(), log));
        return 0;
    }

    /**
     * --format gguf (method rtn): a size target, llama-imatrix then llama-quantize on the model opened once, or the
     * folder converted with --imatrix FILE (or none).
     */
    private int ggufRtn(PassOptions pass, PrintStream log) {
        pass.requireHfFolder();
        if (gguf.target.given()) {
            SizeTargetJob.Options target = gguf.target(model, output, calibration, passFlags.overwrite);
            SizeTargetLines.written(new PrintWriter(System.out, true), log, SizeTargetJob.run(target, new LlamaImatrix(), log), target);
            return 0;
        }
        GgufJob.Target target = new GgufJob.Target(gguf.types.type, gguf.types.mixFlags.options(), output);
        boolean dryRun = gguf.types.mixFlags.dryRun, overwrite = passFlags.overwrite;
        if (!dryRun) {
            if (gguf.imatrixOutput != null) AtomicOutput.checkDistinct(List.of(output, gguf.imatrixOutput));
            AtomicOutput.checkTarget(output, overwrite, model, calibration.path(), gguf.types.imatrix);
            if (gguf.imatrixOutput != null) AtomicOutput.checkTarget(gguf.imatrixOutput, overwrite, model, calibration.path(), output);
        }
        PrintWriter out = new PrintWriter(System.out, true);
        if (gguf.types.imatrix == null && calibration.given())
            GgufReport.print(out, ImatrixGgufJob.run(model, target, calibration.spec(), gguf.imatrixOutput, dryRun, overwrite, log));
        else GgufReport.print(out, GgufJob.convert(model, target, gguf.types.imatrix, dryRun, overwrite));
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
}
