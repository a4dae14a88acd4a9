package dev.calq.formats.gguf.llama;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.safetensors.SafetensorsModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * Writing one GGUF file with a llama-quantize mix: the mix's chooser for the model's tensors (with the
 * {@code --tensor-type} overrides and the other llama-quantize options), then the converter. The model is either a folder on disk (opened once) or an
 * open model with a calibration method's weights laid over it; the importance matrix, when given, weights the
 * quantizers as llama-quantize's --imatrix does.
 */
public final class GgufJob {
    /**
     * One GGUF output: the mix or float type name (Q4_K_M, IQ4_XS, F16, ...), llama-quantize's per-tensor options
     * ({@code --tensor-type} overrides, --pure, output and token-embedding types) and the file.
     */
    public record Target(String type, MixOptions options, Path output) {
        public Target {
            QuantMix.forName(type); // an unknown type fails before any work
        }

        /** A target with {@code REGEX=TYPE} overrides only (first match wins). */
        public Target(String type, List<String> tensorTypes, Path output) {
            this(type, new MixOptions(MixChooser.parseAll(tensorTypes), false, null, null), output);
        }

        /** Parses {@code --also-gguf TYPE=FILE}. */
        public static Target parse(String spec, MixOptions options) {
            int eq = spec.indexOf('=');
            if (eq <= 0 || eq == spec.length() - 1)
                throw new CalqException("--also-gguf " + spec + ": expected TYPE=FILE, e.g. Q4_K_M=model-Q4_K_M.gguf");
            return new Target(spec.substring(0, eq), options, Path.of(spec.substring(eq + 1)));
        }

        public QuantMix mix() { return QuantMix.forName(type); }
    }

    private GgufJob() {}

    /** Converts the model folder {@code hfDir} as it is on disk. */
    public static GgufConverter.Result write(Path hfDir, Target target, ImportanceMatrix imatrix, boolean overwrite) {
        AtomicOutput.checkTarget(target.output(), overwrite, hfDir);
        ModelConfig cfg = ModelConfig.load(hfDir);
        try (SafetensorsModel src = SafetensorsModel.open(hfDir)) {
            return write(new GgufConverter.Source(hfDir, cfg, src), target, imatrix, overwrite);
        }
    }

    /** Converts an open model, its tensors as {@code model} gives them. */
    public static GgufConverter.Result write(GgufConverter.Source model, Target target, ImportanceMatrix imatrix, boolean overwrite) {
        return GgufConverter.convert(model, target.output(), chooser(model, target, imatrix != null), imatrix, overwrite);
    }

    /** The mix's chooser for this model and target; {@code hasImatrix} as the real run will have it. */
    public static MixChooser chooser(GgufConverter.Source model, Target target, boolean hasImatrix) {
        return GgufConverter.mixChooser(model, target.mix(), target.options(), hasImatrix);
    }

    /**
     * {@code calq convert} and {@code quantize --format gguf --imatrix FILE}: the folder on disk to one GGUF file with
     * the importance matrix read from {@code imatrixFile} (null: none), or with --dry-run the plan only; the summary
     * goes to {@code out}.
     */
    public static void convert(Path hfDir, Target target, Path imatrixFile, boolean dryRun, boolean overwrite, PrintWriter out) {
        if (dryRun) {
            GgufReport.dryRun(hfDir, target, imatrixFile != null, out);
            return;
        }
        AtomicOutput.checkTarget(target.output(), overwrite, hfDir, imatrixFile);
        ImportanceMatrix im = imatrixFile == null ? null : ImportanceMatrix.read(imatrixFile);
        long t0 = System.nanoTime();
        GgufConverter.Result r = write(hfDir, target, im, overwrite);
        GgufReport.printWritten(out, r, target.mix(), (System.nanoTime() - t0) / 1e9);
    }

    /** Writes every target from the open model, each with its summary on {@code out}. */
    public static void writeAll(GgufConverter.Source model, List<Target> targets, ImportanceMatrix imatrix, boolean overwrite, PrintWriter out) {
        for (Target t : targets) {
            long t0 = System.nanoTime();
            GgufConverter.Result r = write(model, t, imatrix, overwrite);
            GgufReport.printWritten(out, r, t.mix(), (System.nanoTime() - t0) / 1e9);
        }
    }
}
