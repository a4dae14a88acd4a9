package dev.calq.cli;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.datasets.CalibrationSource;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.imatrix.ImatrixCollection;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

    @Option(names = "--ctx", defaultValue = "512", description = "Tokens per chunk (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--chunks", defaultValue = "0", description = "Use at most N chunks (default: all).")
    int chunks;

    @Option(names = "--legacy", description = "Write the older binary imatrix.dat format.")
    boolean legacy;

    @Option(names = "--overwrite", description = "Replace an existing output.")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        AtomicOutput.checkTarget(output, overwrite, model, java.nio.file.Path.of(calibration));
        if (ctx < 4) throw new CalqException("--ctx " + ctx + " is too small (at least 4)");
        if (chunks < 0) throw new CalqException("--chunks " + chunks + " must be at least 1 (or 0, the default, for all chunks)");
        try (LoadedModel loaded = ModelLoader.load(model)) {
            Result r = collect(loaded, calibration, textField, ctx, chunks, err);
            r.result.matrix().write(output, legacy, overwrite);
            System.out.printf(Locale.ROOT, "wrote %s: %d tensors, %d chunks of %d tokens, ppl %.4f +/- %.4f, %.1fs (%.0f tok/s)%n", output,
                    r.result.matrix().entries().size(), r.result.perplexity().windows(), ctx, r.result.perplexity().ppl(),
                    r.result.perplexity().pplUncertainty(), r.result.perplexity().seconds(), r.result.perplexity().tokensPerSecond());
        }
        return 0;
    }

    record Result(ImatrixCollection.Result result) {}

    /** Shared with {@code quantize --format gguf --calibration}: tokenizes the source and runs the collection. */
    static Result collect(LoadedModel loaded, String spec, String textField, int ctx, int maxChunks, PrintStream err) {
        if (ctx > loaded.config().maxPositionEmbeddings())
            throw new CalqException("--ctx " + ctx + " exceeds the model's max_position_embeddings " + loaded.config().maxPositionEmbeddings());
        CalibrationSource source = CalibrationSource.parse(spec, textField);
        Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
        LlamaModel llama = loaded.model();
        int[] tokens = EvalCommand.tokenize(tok, source.text(), llama.vocabSize(), loaded.path());
        int available = tokens.length / ctx;
        if (available == 0)
            throw new CalqException(spec + ": " + tokens.length + " tokens, fewer than one chunk of " + ctx + " tokens");
        int n = maxChunks > 0 ? Math.min(maxChunks, available) : available;
        err.printf(Locale.ROOT, "imatrix: %d tokens, %d chunks of %d%n", tokens.length, n, ctx);
        ProgressBar bar = new ProgressBar(new java.io.PrintWriter(err, true));
        ImatrixCollection.Result r = ImatrixCollection.collect(llama, tokens, EvalCommand.chunkBos(tok), ctx, n, List.of(spec),
                (done, total, nll, processed, secs) -> bar.update(done, total, String.format(Locale.ROOT,
                        "ppl %.4f +/- %.4f  %.0f tok/s", nll.perplexity(), nll.perplexityUncertainty(), processed / secs)));
        bar.finish();
        return new Result(r);
    }
}
