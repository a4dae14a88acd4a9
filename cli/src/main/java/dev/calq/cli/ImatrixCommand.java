package dev.calq.cli;

import dev.calq.datasets.CalibrationSource;
import dev.calq.imatrix.ImatrixJob;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code calq imatrix}: llama.cpp's importance matrix from calibration text, in llama-imatrix's file formats. */
@Command(name = "imatrix", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Gather a llama.cpp importance matrix (per-channel sums of squared activations) over calibration text.")
public final class ImatrixCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--calibration", required = true, paramLabel = "SRC", description = "Calibration text (file, .jsonl, folder, or wikitext2 | c4 | pile-val).")
    String calibration;

    @Option(names = "--text-field", paramLabel = "NAME", defaultValue = CalibrationSource.DEFAULT_TEXT_FIELD, description = "JSON Lines text field (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Importance matrix to write (GGUF format, as current llama-imatrix).")
    Path output;

    @Mixin ChunkOptions chunks = new ChunkOptions();

    @Option(names = "--legacy", description = "Write the older binary imatrix.dat format.")
    boolean legacy;

    @Option(names = "--overwrite", description = "Replace an existing output.")
    boolean overwrite;

    @Override
    public Integer call() {
        JobLines.imatrix(new java.io.PrintWriter(System.out, true),
                ImatrixJob.run(new ImatrixJob.Options(model, calibration, textField, output, chunks.ctx, chunks.count(), legacy, overwrite), System.err));
        return 0;
    }
}
