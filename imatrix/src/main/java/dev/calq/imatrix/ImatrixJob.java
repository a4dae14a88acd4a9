package dev.calq.imatrix;

import dev.calq.calibration.eval.ProgressBar;
import dev.calq.calibration.eval.TextTokens;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.datasets.CalibrationSource;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code calq imatrix}: llama-imatrix's pass over calibration text, written in its GGUF (or legacy .dat) format. */
public final class ImatrixJob {
    /**
     * @param calibration the calibration source (file, .jsonl, folder, or dataset name) and its JSON Lines field
     * @param ctx         tokens per chunk
     * @param chunks      at most this many chunks (0: all)
     * @param legacy      write the older imatrix.dat format
     */
    public record Options(Path model, String calibration, String textField, Path output, int ctx, int chunks, boolean legacy,
                          boolean overwrite) {}

    /** What a run wrote: the file, the matrix and the perplexity of its pass, and the chunk length. */
    public record Result(Path output, ImatrixCollection.Result collected, int ctx) {}

    private ImatrixJob() {}

    /** Gathers and writes the matrix; progress goes to {@code log}. */
    public static Result run(Options o, PrintStream log) {
        AtomicOutput.checkTarget(o.output(), o.overwrite(), o.model(), Path.of(o.calibration()));
        if (o.ctx() < 4) throw new CalqException("--ctx " + o.ctx() + " is too small (at least 4)");
        if (o.chunks() < 0) throw new CalqException("--chunks " + o.chunks() + " must be at least 1 (or 0, the default, for all chunks)");
        try (LoadedModel loaded = ModelLoader.load(o.model())) {
            ImatrixCollection.Result r = collect(loaded, o.calibration(), o.textField(), o.ctx(), o.chunks(), log);
            r.matrix().write(o.output(), o.legacy(), o.overwrite());
            return new Result(o.output(), r, o.ctx());
        }
    }

    /** Tokenizes the source and runs the collection over at most {@code maxChunks} chunks of {@code ctx} tokens (0: all), with a progress bar. */
    public static ImatrixCollection.Result collect(LoadedModel loaded, String spec, String textField, int ctx, int maxChunks, PrintStream err) {
        if (ctx > loaded.config().maxPositionEmbeddings())
            throw new CalqException("--ctx " + ctx + " exceeds the model's max_position_embeddings " + loaded.config().maxPositionEmbeddings());
        CalibrationSource source = CalibrationSource.parse(spec, textField);
        Tokenizer tok = Tokenizers.load(loaded.tokenizerDir());
        LlamaModel llama = loaded.model();
        int[] tokens = TextTokens.tokenize(tok, source.text(), llama.vocabSize(), loaded.path());
        int available = tokens.length / ctx;
        if (available == 0)
            throw new CalqException(spec + ": " + tokens.length + " tokens, fewer than one chunk of " + ctx + " tokens");
        int n = maxChunks > 0 ? Math.min(maxChunks, available) : available;
        err.printf(Locale.ROOT, "imatrix: %d tokens, %d chunks of %d%n", tokens.length, n, ctx);
        ProgressBar bar = new ProgressBar(new PrintWriter(err, true));
        ImatrixCollection.Result r = ImatrixCollection.collect(llama, tokens, TextTokens.chunkBos(tok), ctx, n, List.of(spec),
                (done, total, nll, processed, secs) -> bar.update(done, total, String.format(Locale.ROOT,
                        "ppl %.4f +/- %.4f  %.0f tok/s", nll.perplexity(), nll.perplexityUncertainty(), processed / secs)));
        bar.finish();
        return r;
    }
}
