package dev.calq.calibration.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
     * @param json      one JSON object on {@code out} instead of the summary line
     * @param saveLogits save the scored positions' log-probabilities here (null: not)
     * @param klBase    compare with log-probabilities saved earlier (null: not)
     */
    public record Options(Path model, Path tokenizer, Path text, int ctx, int chunks, PerplexityMethod method, boolean json,
                          Path saveLogits, Path klBase, boolean overwrite) {}

    private final Path model, tokenizerPath, text, saveLogits, klBase;
    private final int ctx, chunks;
    private final PerplexityMethod m;
    private final boolean json, overwrite;
    private final PrintWriter out;

    private EvalJob(Options o, PrintWriter out) {
        model = o.model();
        tokenizerPath = o.tokenizer();
        text = o.text();
        saveLogits = o.saveLogits();
        klBase = o.klBase();
        ctx = o.ctx();
        chunks = o.chunks();
        m = o.method();
        json = o.json();
        overwrite = o.overwrite();
        this.out = out;
    }

    /** Scores the text; the result goes to {@code out}, the progress bar to {@code err}. */
    public static void run(Options o, PrintWriter out, PrintWriter err) { new EvalJob(o, out).run(err); }

    private void run(PrintWriter err) {
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
                report(r, tokens.length, loadSeconds, tokenizeSeconds);
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

    private void report(PerplexityEvaluator.Result r, int tokenCount, double loadSeconds, double tokenizeSeconds) {
        KlDivergence.Summary kl = r.kl();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.put("model", model.toString()).put("text", text.toString()).put("method", r.method().cliName()).put("ctx", r.ctx())
                    .put("chunks", r.windows()).put("ppl", r.ppl()).put("ppl_uncertainty", r.pplUncertainty())
                    .put("tokens_scored", r.tokensScored()).put("tokens_processed", r.tokensProcessed()).put("text_tokens", tokenCount)
                    .put("seconds", r.seconds()).put("tokens_per_second", r.tokensPerSecond())
                    .put("load_seconds", loadSeconds).put("tokenize_seconds", tokenizeSeconds);
            if (kl != null) {
                ObjectNode k = o.putObject("kl_divergence");
                k.put("base", klBase.toString()).put("positions", kl.positions()).put("mean", kl.mean()).put("mean_uncertainty", kl.meanUncertainty())
                        .put("median", kl.median()).put("p99", kl.p99()).put("max", kl.max())
                        .put("same_top", kl.sameTop()).put("same_top_uncertainty", kl.sameTopUncertainty()).put("base_ppl", kl.basePpl());
            }
            out.println(o.toString());
            out.flush();
            return;
        }
        if (kl != null) {
            out.printf(Locale.ROOT, "PPL(base)  : %.4f%n", kl.basePpl());
            out.printf(Locale.ROOT, "Mean KLD   : %.6f +/- %.6f%n", kl.mean(), kl.meanUncertainty());
            out.printf(Locale.ROOT, "99.0%% KLD  : %.6f   (median %.6f, max %.6f)%n", kl.p99(), kl.median(), kl.max());
            out.printf(Locale.ROOT, "Same top p : %.3f +/- %.3f %%%n", 100 * kl.sameTop(), 100 * kl.sameTopUncertainty());
        }
        out.printf(Locale.ROOT, "PPL = %.4f +/- %.5f over %d tokens (%s method, %d chunks of %d) in %.1f s, %.0f tok/s%n",
                r.ppl(), r.pplUncertainty(), r.tokensScored(), r.method().cliName(), r.windows(), r.ctx(), r.seconds(), r.tokensPerSecond());
        out.flush();
    }
}
