package dev.calq.calibration.eval;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code calq eval}: perplexity of a model over a text file, and KL divergence against a base model's saved run. */
public final class EvalJob {
    /**
     * @param model     a Hugging Face folder, a GPTQ/AWQ/compressed-tensors/bitsandbytes checkpoint or a GGUF file
     * @param tokenizer take the tokenizer from this folder or GGUF file (null: the model's)
     * @param ctx       tokens per chunk (at least 4)
     * @param chunks    the first this many chunks (0: all)
     * @param json      the command prints one JSON object instead of the summary line
     * @param saveLogits save the scored positions' log-probabilities here (null: not)
     * @param klBase    compare with log-probabilities saved earlier (null: not)
     */
    public record Options(Path model, Path tokenizer, Path text, int ctx, int chunks, PerplexityMethod method, boolean json,
                          Path saveLogits, Path klBase, boolean overwrite) {}

    private final Path model, tokenizerPath, text, saveLogits, klBase;
    private final int ctx, chunks;
    private final PerplexityMethod m;
    private final boolean overwrite;
    private final Options options;

    /**
     * What a run measured: the perplexity (and KL divergence) result, the text's token count, and the seconds the
     * model load and the tokenization took.
     */
    public record Result(Options options, PerplexityEvaluator.Result result, int textTokens, double loadSeconds, double tokenizeSeconds) {}

    private EvalJob(Options o) {
        model = o.model();
        tokenizerPath = o.tokenizer();
        text = o.text();
        saveLogits = o.saveLogits();
        klBase = o.klBase();
        ctx = o.ctx();
        chunks = o.chunks();
        m = o.method();
        overwrite = o.overwrite();
        options = o;
    }

    /** Scores the text; the progress bar goes to {@code err}. */
    public static Result run(Options o, PrintWriter err) { return new EvalJob(o).run(err); }

    private Result run(PrintWriter err) {
        if (saveLogits != null && klBase != null) throw new CalqException("--save-logits and --kl-divergence cannot be combined; run the base model first");
        if (saveLogits != null) AtomicOutput.checkTarget(saveLogits, overwrite, text, model, tokenizerPath);
        String content = readText(text);

        long t0 = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(model)) {
            if (ctx > loaded.config().maxPositionEmbeddings())
                throw new CalqException("--ctx " + ctx + " exceeds the model's max_position_embeddings "
                        + loaded.config().maxPositionEmbeddings() + " (" + model + ")");
            if (tokenizerPath != null && !Files.exists(tokenizerPath)) throw CalqException.file(tokenizerPath, "not found");
            Tokenizer tokenizer = Tokenizers.load(tokenizerPath != null ? tokenizerPath : loaded.tokenizerDir());
            LlamaModel llama = loaded.model();
            double loadSeconds = (System.nanoTime() - t0) / 1e9;

            long t1 = System.nanoTime();
            int[] tokens = tokenize(tokenizer, content, llama.vocabSize());
            double tokenizeSeconds = (System.nanoTime() - t1) / 1e9;
            int available = PerplexityMethod.windows(tokens.length, ctx);
            if (available == 0)
                throw CalqException.file(text, tokens.length + " tokens, fewer than one chunk of --ctx " + ctx);
            long fingerprint = LogProbFile.fingerprint(tokens, tokens.length);
            int windows = PerplexityEvaluator.windows(tokens.length, ctx, chunks);

            LogProbFile.Reader base = null;
            Path temp = null;
            LogProbFile.Writer writer = null;
            try {
                if (klBase != null) {
                    base = new LogProbFile.Reader(klBase);
                    windows = checkBase(base.header(), m, llama.vocabSize(), fingerprint, windows);
                }
                if (saveLogits != null) {
                    LogProbFile.Header h = new LogProbFile.Header(llama.vocabSize(), ctx, m, windows, m.scoredPerWindow(ctx), fingerprint);
                    temp = AtomicOutput.tempSibling(saveLogits);
                    checkSpace(saveLogits, LogProbFile.expectedBytes(h));
                    writer = new LogProbFile.Writer(temp, h);
                }
                ProgressBar bar = new ProgressBar(err);
                PerplexityEvaluator.Result r = PerplexityEvaluator.evaluate(llama, tokens, TextTokens.chunkBos(tokenizer), m, ctx, windows,
                        writer, base, (done, total, nll, processed, secs) -> bar.update(done, total, String.format(Locale.ROOT,
                                "ppl %.4f +/- %.4f  %.0f tok/s", nll.perplexity(), nll.perplexityUncertainty(), processed / secs)));
                bar.finish();
                if (writer != null) {
                    writer.close();
                    writer = null;
                    AtomicOutput.commit(temp, saveLogits, overwrite);
                    temp = null;
                }
                return new Result(options, r, tokens.length, loadSeconds, tokenizeSeconds);
            } catch (IOException e) {
                throw CalqException.file(saveLogits, "cannot write: " + e.getMessage());
            } finally {
                if (base != null) base.close();
                if (writer != null) try { writer.close(); } catch (IOException ignored) { /* the first error matters */ }
                if (temp != null) AtomicOutput.discard(temp);
            }
        }
    }

    private static String readText(Path file) {
        if (!Files.isRegularFile(file)) throw CalqException.file(file, "not found");
        try {
            byte[] bytes = Files.readAllBytes(file);
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            if (s.isBlank()) throw CalqException.file(file, "is empty: nothing to score");
            return s;
        } catch (CharacterCodingException e) {
            throw CalqException.file(file, "is not valid UTF-8 text");
        } catch (IOException e) {
            throw CalqException.file(file, "cannot read: " + e.getMessage());
        }
    }

    private int[] tokenize(Tokenizer tokenizer, String content, int vocab) { return TextTokens.tokenize(tokenizer, content, vocab, model); }

    /** The number of windows to compare: all saved ones unless --chunks asks for fewer. */
    private int checkBase(LogProbFile.Header h, PerplexityMethod m, int vocab, long fingerprint, int windows) {
        String where = klBase.toString();
        if (h.vocab() != vocab) throw new CalqException(where + ": saved for a vocabulary of " + h.vocab() + ", the model has " + vocab);
        if (h.ctx() != ctx || h.method() != m)
            throw new CalqException(where + ": saved with --method " + h.method().cliName() + " --ctx " + h.ctx() + "; run with the same options");
        if (h.fingerprint() != fingerprint) throw new CalqException(where + ": saved for a different text or tokenizer than " + text);
        if (chunks == 0) return h.windows();
        if (chunks > h.windows()) throw new CalqException(where + ": holds only " + h.windows() + " chunks, --chunks asks for " + chunks);
        return windows;
    }

    private static void checkSpace(Path target, long bytes) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < bytes + (64L << 20))
                throw CalqException.file(target, "needs " + Sizes.human(bytes + (64L << 20)) + " of free space (the log-probabilities and a margin) but "
                        + dir + " has only " + Sizes.human(free) + " (use --chunks to save fewer)");
        } catch (IOException e) {
            throw CalqException.file(target, "cannot check free space: " + e.getMessage());
        }
    }
}
