package dev.calq.gptq.sensitivity;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.datasets.CalibrationSpec;
import dev.calq.formats.AtomicOutput;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code calq sensitivity}: the sensitivity pass over the calibration text, written as a report folder. */
public final class SensitivityJob {
    /**
     * @param report      the report folder to write
     * @param imatrixFile the importance matrix the codecs use (null: gathered in the same pass)
     */
    public record Options(Path model, Path report, CalibrationSpec calibration, Path imatrixFile, SensitivityPass.Settings settings,
                          SensitivityReport.Plots plots, boolean overwrite) {}

    private SensitivityJob() {}

    /** Measures and writes the report; returns what was measured (the table, the matrix, the seconds). */
    public static SensitivityPass.Result run(Options o, ImatrixGatherer imatrix, PrintStream log) {
        AtomicOutput.checkTarget(o.report(), o.overwrite(), o.model(), o.calibration().path(), o.imatrixFile());
        SensitivityPass.Result s;
        try (LoadedModel loaded = ModelLoader.load(o.model())) {
            s = SensitivityPass.run(loaded, o.calibration(), o.imatrixFile(), o.settings(), imatrix, log);
        }
        // the size-vs-KL plot's file sizes are those of a GGUF file named inside the report (only its name's length counts)
        SensitivityReport.write(o.report(), o.model(), o.report().resolve("model.gguf"), s.table(), o.overwrite(), o.plots());
        return s;
    }
}
