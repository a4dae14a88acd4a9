package dev.calq.gptq.sensitivity;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.datasets.CalibrationSpec;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code quantize --format gguf --target-size SIZE | --target-bpw B}: the sensitivity pass, the type choice that
 * minimises predicted KL divergence within the target, the choice saved as a --tensor-type-file, then the GGUF
 * written with those types and the same importance matrix. {@link #choose} is what every method's size target
 * shares ({@code --method gptq} then runs GPTQ inside the chosen types, see {@link dev.calq.gptq.GgufGptqJob}).
 */
public final class SizeTargetJob {
    /**
     * @param calibration       the calibration text the layer Hessians (and the importance matrix) come from
     * @param imatrixFile       the importance matrix the codecs use (null: gathered in the sensitivity pass)
     * @param imatrixOutput     where a gathered matrix is saved (null: not saved)
     * @param base              the mix whose file type the GGUF records and whose other tensors it keeps
     * @param sensitivityTable  a sensitivity.json (or report folder) to reuse instead of measuring (null: measured)
     * @param tensorTypesOutput where the chosen types are saved (null: OUTPUT.tensor-types.txt)
     * @param report            a sensitivity report folder to write as well (null: none), drawn with {@code plots}
     * @param dryRun            choose and print the file's size, write nothing
     */
    public record Options(Path model, Path output, CalibrationSpec calibration, Path imatrixFile, Path imatrixOutput, QuantMix base,
                          TargetMix.Target target, SensitivityPass.Settings settings, Path sensitivityTable, Path tensorTypesOutput,
                          Path report, SensitivityReport.Plots plots, boolean dryRun, boolean overwrite) {
        /** Where the chosen types are saved. */
        public Path typesFile() {
            return tensorTypesOutput != null ? tensorTypesOutput : output.toAbsolutePath().resolveSibling(output.getFileName() + ".tensor-types.txt");
        }
    }

    /**
     * A size target's choice: the sensitivity it came from, the chosen types, where they were saved (null in a dry
     * run), and the report folder written (null: none).
     */
    public record Chosen(SensitivityPass.Result sensitivity, TargetMix.Choice choice, Path typesFile, Path report) {}

    /** What {@link #run} did: the choice, the GGUF file written (null in a dry run) and its seconds, and the whole run's. */
    public record Written(Chosen chosen, GgufConverter.Result file, double writeSeconds, double totalSeconds) {}

    private SizeTargetJob() {}

    /** The choice, then the GGUF with the imatrix codecs at the chosen types. */
    public static Written run(Options o, ImatrixGatherer imatrix, PrintStream log) {
        long t0 = System.nanoTime();
        Chosen chosen = choose(o, true, imatrix, log);
        if (chosen.typesFile() == null) return new Written(chosen, null, 0, (System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        GgufConverter.Result r = GgufConverter.convert(o.model(), o.output(), chosen.choice().chooser(), chosen.sensitivity().imatrix(), o.overwrite());
        long t2 = System.nanoTime();
        return new Written(chosen, r, (t2 - t1) / 1e9, (t2 - t0) / 1e9);
    }

    /**
     * The output checks, the sensitivity (measured, or read back with --sensitivity), the type choice, the report
     * and, unless a dry run, the choice saved as a --tensor-type-file. {@code saveImatrix}: write the pass's
     * importance matrix to --imatrix-output (a GPTQ run writes its own).
     */
    public static Chosen choose(Options o, boolean saveImatrix, ImatrixGatherer imatrix, PrintStream log) {
        Path typesFile = o.typesFile();
        // every file this run writes, checked before the pass: none may exist unless replaced, none may hit an input
        Path[] inputs = {o.model(), o.calibration().path(), o.imatrixFile(), o.sensitivityTable()};
        boolean writesImatrix = saveImatrix && o.imatrixOutput() != null && o.imatrixFile() == null && o.sensitivityTable() == null;
        List<Path> outputs = new ArrayList<>();
        if (!o.dryRun()) outputs.addAll(List.of(o.output(), typesFile));
        if (o.report() != null) outputs.add(o.report());
        if (writesImatrix) outputs.add(o.imatrixOutput());
        AtomicOutput.checkDistinct(outputs);
        if (!o.dryRun()) {
            AtomicOutput.checkTarget(o.output(), o.overwrite(), inputs);
            AtomicOutput.checkTarget(typesFile, o.overwrite(), inputs);
        }
        if (o.report() != null) AtomicOutput.checkTarget(o.report(), o.overwrite(), inputs);
        if (writesImatrix) AtomicOutput.checkTarget(o.imatrixOutput(), o.overwrite(), inputs);
        TargetMix.checkReachable(o.model(), o.output(), o.base(), o.settings().candidates(), o.target());
        SensitivityPass.Result s;
        if (o.sensitivityTable() != null) {
            if (o.imatrixFile() == null) throw new CalqException("--sensitivity needs the --imatrix the table was measured with");
            s = SensitivityPass.Result.reused(SensitivityReport.read(o.sensitivityTable()), ImportanceMatrix.read(o.imatrixFile()));
        } else {
            try (LoadedModel loaded = ModelLoader.load(o.model())) {
                s = SensitivityPass.run(loaded, o.calibration(), o.imatrixFile(), o.settings(), imatrix, log);
            }
            if (writesImatrix) s.imatrix().write(o.imatrixOutput(), false, o.overwrite());
        }
        TargetMix.Choice c = TargetMix.choose(o.model(), o.output(), o.base(), s.table(), o.target());
        if (o.report() != null) SensitivityReport.write(o.report(), o.model(), o.output(), s.table(), o.overwrite(), o.plots());
        if (o.dryRun()) return new Chosen(s, c, null, o.report());
        TargetMix.writeTensorTypeFile(typesFile, c.allocation().types(), o.overwrite());
        return new Chosen(s, c, typesFile, o.report());
    }
}
