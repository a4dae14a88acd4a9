package dev.calq.formats.gguf.llama;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.safetensors.SafetensorsModel;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** A GGUF file written: the converter's result, the mix it was written to, and the seconds it took. */
    public record Written(GgufConverter.Result file, QuantMix mix, double seconds) {}

    /**
     * A dry run's plan: every tensor's type and size, and the first tensor whose type needs an importance matrix that
     * the run would not have (null: none).
     */
    public record Plan(Path output, GgufConverter.Result plan, GgufConverter.ConvertedTensor needsImatrix) {}

    /** What a conversion did: exactly one of {@code written} and {@code plan} (a dry run) is non-null. */
    public record Outcome(Written written, Plan plan) {}

    /** The plan of {@code target} for the folder on disk, as it will be with ({@code hasImatrix}) or without an importance matrix. */
    public static Plan plan(Path hfDir, Target target, boolean hasImatrix) {
        ModelConfig cfg = ModelConfig.load(hfDir);
        try (SafetensorsModel src = SafetensorsModel.open(hfDir)) {
            GgufConverter.Source source = new GgufConverter.Source(hfDir, cfg, src);
            MixChooser chooser = chooser(source, target, hasImatrix);
            GgufConverter.Result plan = GgufConverter.dryRun(source, target.output(), chooser);
            return new Plan(target.output(), plan, hasImatrix ? null : GgufConverter.firstNeedingImatrix(plan, chooser));
        }
    }

    /**
     * {@code calq convert} and {@code quantize --format gguf --imatrix FILE}: the folder on disk to one GGUF file with
     * the importance matrix read from {@code imatrixFile} (null: none), or with --dry-run the plan only.
     */
    public static Outcome convert(Path hfDir, Target target, Path imatrixFile, boolean dryRun, boolean overwrite) {
        if (dryRun) return new Outcome(null, plan(hfDir, target, imatrixFile != null));
        AtomicOutput.checkTarget(target.output(), overwrite, hfDir, imatrixFile);
        ImportanceMatrix im = imatrixFile == null ? null : ImportanceMatrix.read(imatrixFile);
        long t0 = System.nanoTime();
        GgufConverter.Result r = write(hfDir, target, im, overwrite);
        return new Outcome(new Written(r, target.mix(), (System.nanoTime() - t0) / 1e9), null);
    }

    /** Writes every target from the open model, in order. */
    public static List<Written> writeAll(GgufConverter.Source model, List<Target> targets, ImportanceMatrix imatrix, boolean overwrite) {
        List<Written> out = new ArrayList<>();
        for (Target t : targets) {
            long t0 = System.nanoTime();
            GgufConverter.Result r = write(model, t, imatrix, overwrite);
            out.add(new Written(r, t.mix(), (System.nanoTime() - t0) / 1e9));
        }
        return out;
    }
}
