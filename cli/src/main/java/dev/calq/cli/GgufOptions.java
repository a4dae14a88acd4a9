package dev.calq.cli;

import dev.calq.cli.plot.SensitivityCharts;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.gptq.sensitivity.SizeTargetJob;
import dev.calq.gptq.sensitivity.TargetMix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** GGUF output options of {@code calq quantize}: --format gguf, --also-gguf. */
final class GgufOptions {
    @Mixin GgufTypeOptions types = new GgufTypeOptions("Q4_K_M");

    @Option(names = "--imatrix-output", paramLabel = "FILE", description = "Also save an importance matrix of the calibration activations (any method but awq+gptq: GPTQ and AWQ runs gather it on the way).")
    Path imatrixOutput;

    @Option(names = "--also-gguf", paramLabel = "TYPE=FILE",
            description = "GPTQ/RTN/AWQ: also write a GGUF file of this mix from the same calibration pass, with its importance matrix (repeatable). AWQ: its scaled weights; GPTQ/RTN: the original weights.")
    List<String> alsoGguf = new ArrayList<>();

    @Mixin TargetOptions target = new TargetOptions();

    /** The size target as the job takes it (--target-size or --target-bpw given), after the checks that need only the options. */
    SizeTargetJob.Options target(Path model, Path output, CalibrationOptions calibration, boolean overwrite) {
        TargetMix.Target t = TargetMix.Target.of(target.targetSize, target.targetBpw);
        MixFlags f = types.mixFlags;
        if (!f.tensorTypes.isEmpty() || f.tensorTypeFile != null || f.pure || f.outputTensorType != null || f.tokenEmbeddingType != null)
            throw new CalqException("a size target chooses every tensor's type itself; drop --tensor-type, --tensor-type-file, --pure and the output/embedding types");
        QuantMix base = QuantMix.forName(types.type);
        if (!base.quantized()) throw new CalqException("--type " + types.type + ": a size target needs a quantized base mix (its file type is recorded)");
        return new SizeTargetJob.Options(model, output, calibration.spec(), types.imatrix, imatrixOutput, base, t, target.sensitivity.settings(),
                target.sensitivityTable, target.tensorTypesOutput, target.report, new SensitivityCharts(), f.dryRun, overwrite);
    }
}
