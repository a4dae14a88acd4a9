package dev.calq.gptq.sensitivity;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.calibration.runner.PassOptions;
import dev.calq.datasets.CalibrationSpec;
import dev.calq.formats.CalqException;
import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.gptq.GgufGptqJob;
import dev.calq.gptq.GgufGptqQuantizer;
import dev.calq.gptq.GptqConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A size target (and {@code calq sensitivity}) checks every file it will write before its sensitivity pass (skipped
 * without ../shared): the gatherer here fails the test if the pass starts.
 */
class SizeTargetJobTest {
    @TempDir Path dir;

    @BeforeEach void shared() { Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING); }

    private static final ImatrixGatherer NO_PASS = new ImatrixGatherer() {
        @Override public Alongside alongside(LayerMethod method) { throw new AssertionError("the pass ran"); }
        @Override public dev.calq.formats.imatrix.ImportanceMatrix gather(LoadedModel loaded, CalibrationSpec c, PrintStream log) {
            throw new AssertionError("the pass ran");
        }
        @Override public Observer observer() { throw new AssertionError("the pass ran"); }
    };

    private SizeTargetJob.Options options(Path imatrix, Path imatrixOutput, Path report, boolean overwrite) {
        return options(imatrix, imatrixOutput, report, false, overwrite);
    }

    private SizeTargetJob.Options options(Path imatrix, Path imatrixOutput, Path report, boolean dryRun, boolean overwrite) {
        return new SizeTargetJob.Options(SharedData.tinyLlama(), dir.resolve("m.gguf"), calibration(), imatrix, imatrixOutput, QuantMix.Q4_K_M,
                TargetMix.Target.of("30MiB", null), new SensitivityPass.Settings(List.of(GgmlType.Q2_K, GgmlType.Q4_K, GgmlType.Q8_0), GgmlType.Q2_K, 1, 0),
                null, null, report, (d, t, m, c) -> {}, dryRun, overwrite);
    }

    private static CalibrationSpec calibration() {
        return new CalibrationSpec(SharedData.calibrationText().toString(), null, 1, 64, 0, null, null);
    }

    private static String refusal(SizeTargetJob.Options o) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        return assertThrows(CalqException.class, () -> SizeTargetJob.choose(o, true, NO_PASS, quiet)).getMessage();
    }

    @Test
    void anExistingReportOrImatrixOutputIsRefusedBeforeThePass() throws Exception {
        Path report = Files.createDirectories(dir.resolve("report"));
        assertTrue(refusal(options(null, null, report, false)).startsWith(report + ": already exists"));
        Path im = Files.writeString(dir.resolve("im.gguf"), "kept");
        assertTrue(refusal(options(null, im, null, false)).startsWith(im + ": already exists"));
        assertFalse(Files.exists(dir.resolve("m.gguf.tensor-types.txt")));
    }

    @Test
    void aDryRunTargetIsRefusedByTheGgufGptqJob() {
        // the job would otherwise run GPTQ with the dry run's choice and write a file the dry run promised not to
        PassOptions pass = new PassOptions(SharedData.tinyLlama(), dir.resolve("m.gguf"), calibration(), null, 0, false, false, null);
        assertThrows(IllegalArgumentException.class, () -> new GgufGptqJob.Options(pass, QuantMix.Q4_K_M, MixOptions.NONE, null,
                GptqConfig.defaults(), GgufGptqQuantizer.ScaleChoice.HESSIAN, options(null, null, null, true, false)));
    }

    @Test
    void twoOutputsOfOneTargetMayNotShareAPath() {
        Path same = dir.resolve("m.gguf");
        assertEquals(same + ": named as two outputs of this run; give each its own path", refusal(options(null, same, null, false)));
        assertEquals(same + ": named as two outputs of this run; give each its own path", refusal(options(null, null, same, false)));
    }

    @Test
    void outputsThatWouldReplaceAnInputAreRefused() throws Exception {
        Path im = Files.writeString(dir.resolve("m.gguf"), "the user's importance matrix");
        String e = refusal(options(im, null, null, true));
        assertTrue(e.contains("the output would replace the input " + im), e);
        assertEquals("the user's importance matrix", Files.readString(im));
    }

    @Test
    void aSensitivityReportThatWouldReplaceAnInputIsRefused() throws Exception {
        Path im = Files.writeString(dir.resolve("im.gguf"), "the user's importance matrix");
        CalibrationSpec cal = new CalibrationSpec(SharedData.calibrationText().toString(), null, 1, 64, 0, null, null);
        SensitivityJob.Options o = new SensitivityJob.Options(SharedData.tinyLlama(), im, cal, im,
                new SensitivityPass.Settings(List.of(GgmlType.Q4_K), GgmlType.Q2_K, 1, 0), (d, t, m, c) -> {}, true);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        String e = assertThrows(CalqException.class, () -> SensitivityJob.run(o, NO_PASS, quiet)).getMessage();
        assertTrue(e.contains("the output would replace the input " + im), e);
        assertEquals("the user's importance matrix", Files.readString(im));
    }
}
