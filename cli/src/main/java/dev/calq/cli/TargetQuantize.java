package dev.calq.cli;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code quantize --format gguf --target-size SIZE | --target-bpw B}: the sensitivity pass, the type choice that
 * minimises predicted KL divergence within the target, the choice printed and saved as a --tensor-type-file, then
 * the GGUF written with those types and the same importance matrix.
 */
final class TargetQuantize {
    private TargetQuantize() {}

    /** A size target's choice: the sensitivity it came from, the chosen types, and where they were saved (null in a dry run). */
    record Chosen(SensitivityPass.Result sensitivity, TargetMix.Choice choice, Path typesFile) {}

    static int run(Path model, Path output, CalibrationOptions calibration, GgufOptions gguf, boolean overwrite, PrintStream log) {
        long t0 = System.nanoTime();
        Chosen chosen = choose(model, output, calibration, gguf, overwrite, true, log);
        if (chosen.typesFile() == null) return 0;
        SensitivityPass.Result s = chosen.sensitivity();
        PrintWriter out = new PrintWriter(System.out, true);
        long t1 = System.nanoTime();
        GgufConverter.Result r = GgufConverter.convert(model, output, chosen.choice().chooser(), s.imatrix(), overwrite);
        dev.calq.formats.gguf.llama.GgufReport.printWritten(out, r, QuantMix.forName(gguf.types.type), (System.nanoTime() - t1) / 1e9);
        out.printf(Locale.ROOT, "target run: %.1fs in all (sensitivity pass %.1fs, measurement %.1fs)%n", (System.nanoTime() - t0) / 1e9,
                s.passSeconds(), s.measureSeconds());
        return 0;
    }

    /**
     * The checks, the sensitivity (measured, or read back with --sensitivity), the type choice printed, the report
     * with --report and, unless --dry-run, the choice saved as a --tensor-type-file: what every method's size
     * target shares before it writes the file. In a dry run it prints the file's size and returns a null types file.
     * {@code saveImatrix}: write the pass's importance matrix to --imatrix-output (a GPTQ run writes its own).
     */
    static Chosen choose(Path model, Path output, CalibrationOptions calibration, GgufOptions gguf, boolean overwrite, boolean saveImatrix,
                         PrintStream log) {
        TargetOptions opts = gguf.target;
        TargetMix.Target target = TargetMix.Target.of(opts.targetSize, opts.targetBpw);
        if (!gguf.types.mixFlags.tensorTypes.isEmpty() || gguf.types.mixFlags.tensorTypeFile != null || gguf.types.mixFlags.pure
                || gguf.types.mixFlags.outputTensorType != null || gguf.types.mixFlags.tokenEmbeddingType != null)
            throw new CalqException("a size target chooses every tensor's type itself; drop --tensor-type, --tensor-type-file, --pure and the output/embedding types");
        QuantMix base = QuantMix.forName(gguf.types.type);
        if (!base.quantized()) throw new CalqException("--type " + gguf.types.type + ": a size target needs a quantized base mix (its file type is recorded)");
        opts.sensitivity.check();
        Path typesFile = opts.tensorTypesOutput != null ? opts.tensorTypesOutput
                : output.toAbsolutePath().resolveSibling(output.getFileName() + ".tensor-types.txt");
        if (!gguf.types.mixFlags.dryRun) {
            AtomicOutput.checkTarget(output, overwrite, model);
            AtomicOutput.checkTarget(typesFile, overwrite, model);
        }
        PrintWriter out = new PrintWriter(System.out, true);
        TargetMix.checkReachable(model, output, base, opts.sensitivity.candidates(), target);
        SensitivityPass.Result s;
        if (opts.sensitivityTable != null) {
            if (gguf.types.imatrix == null) throw new CalqException("--sensitivity needs the --imatrix the table was measured with");
            s = SensitivityPass.Result.reused(SensitivityReport.read(opts.sensitivityTable), ImportanceMatrix.read(gguf.types.imatrix));
        } else {
            try (LoadedModel loaded = ModelLoader.load(model)) {
                s = SensitivityPass.run(loaded, calibration, gguf.types.imatrix, opts.sensitivity.candidates(), opts.sensitivity.gain(),
                        opts.sensitivity.probeChunks, opts.sensitivity.sampleRows, log);
            }
            if (saveImatrix && gguf.imatrixOutput != null && gguf.types.imatrix == null) s.imatrix().write(gguf.imatrixOutput, false, overwrite);
        }
        TargetMix.Choice c = TargetMix.choose(model, output, base, s.table(), target);
        TargetMix.print(out, s.table(), c);
        if (opts.report != null) SensitivityReport.write(opts.report, model, output, s.table(), overwrite, log);
        if (gguf.types.mixFlags.dryRun) {
            out.printf(Locale.ROOT, "dry run: %s would be %d bytes (%.2f MiB); nothing written%n", output, c.plan().fileBytes(), c.plan().fileBytes() / 1048576.0);
            return new Chosen(s, c, null);
        }
        TargetMix.writeTensorTypeFile(typesFile, c.allocation().types(), overwrite);
        out.println("saved the chosen types to " + typesFile + " (replay: --tensor-type-file " + typesFile + ")");
        return new Chosen(s, c, typesFile);
    }
}
