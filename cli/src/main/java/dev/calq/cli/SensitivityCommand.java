package dev.calq.cli;

import dev.calq.cli.plot.SensitivityCharts;
import dev.calq.gptq.sensitivity.SensitivityJob;
import dev.calq.gptq.sensitivity.SensitivityReport;
import dev.calq.imatrix.LlamaImatrix;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code calq sensitivity}: what every candidate ggml type would cost every tensor, as tables and plots. */
@Command(name = "sensitivity", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure each tensor's sensitivity to each GGUF type (Hessian-weighted output error calibrated to KL divergence) and write CSV, JSON, a heatmap and a size-vs-KL plot.")
public final class SensitivityCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Report folder to write.")
    Path output;

    @Mixin CalibrationOptions calibration = new CalibrationOptions();

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix the codecs use (default: gathered in the same pass).")
    Path imatrix;

    @Mixin SensitivityOptions sensitivity = new SensitivityOptions();

    @Option(names = "--overwrite", description = "Replace an existing report folder.")
    boolean overwrite;

    @Override
    public Integer call() {
        SensitivityJob.run(new SensitivityJob.Options(model, output, calibration.spec(), imatrix, sensitivity.settings(), new SensitivityCharts(), overwrite),
                new LlamaImatrix(), System.err);
        System.out.println(SensitivityReport.writtenLine(output));
        return 0;
    }
}
