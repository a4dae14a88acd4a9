package dev.calq.calibration.eval;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.formats.CalqException;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.calq.formats.Parallel;

/**
 * Perplexity of a model over a token stream, window by window (each a whole sequence through the model; a few
 * windows share one pass, as llama-perplexity's batch does), keeping only one pass's logits in memory. Optionally saves the log-probabilities of the scored positions
 * ({@link LogProbFile}) or compares them with saved ones (KL divergence).
 */
public final class PerplexityEvaluator {
    /** Called after every window. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total, RunningStats nll, long tokensProcessed, double seconds);
    }

    /** What one evaluation produced; {@code kl} is null unless a base file was compared against. */
    public record Result(PerplexityMethod method, int ctx, int windows, long tokensProcessed, long tokensScored,
                         double ppl, double pplUncertainty, double seconds, KlDivergence.Summary kl) {
        public double tokensPerSecond() { return tokensProcessed / seconds; }
    }

    private static final ThreadLocal<float[]> ROW = new ThreadLocal<>();

    private PerplexityEvaluator() {}

    /** The number of windows of {@code tokens} for ctx (limited by maxChunks when positive). */
    public static int windows(int tokenCount, int ctx, int maxChunks) {
        int n = PerplexityMethod.windows(tokenCount, ctx);
        return maxChunks > 0 ? Math.min(n, maxChunks) : n;
    }

    /**
     * Evaluates {@code windows} windows of {@code tokens} (BOS already prepended when the model wants it).
     * {@code save} and {@code base} may be null; the caller checked that base matches these tokens.
     */
    public static Result evaluate(LlamaModel model, int[] tokens, int bosId, PerplexityMethod method, int ctx, int windows,
                                  LogProbFile.Writer save, LogProbFile.Reader base, Progress progress) {
        return evaluate(model, tokens, bosId, method, ctx, windows, save, base, progress, null);
    }

    /**
     * As above, with {@code observer} (may be null) seeing every projection input of every window: llama-imatrix
     * gathers its statistics over exactly the windows of llama.cpp's perplexity, with the same running perplexity.
     */
    public static Result evaluate(LlamaModel model, int[] tokens, int bosId, PerplexityMethod method, int ctx, int windows,
                                  LogProbFile.Writer save, LogProbFile.Reader base, Progress progress,
                                  dev.calq.calibration.model.LinearInputObserver observer) {
        int vocab = model.vocabSize(), first = method.firstScored(ctx), scored = method.scoredPerWindow(ctx);
        if (scored <= 0) throw new CalqException("--ctx " + ctx + " is too small: no position would be scored");
        RunningStats nll = new RunningStats();
        KlDivergence kl = base == null ? null : new KlDivergence();
        WindowScores sc = new WindowScores(scored);
        long start = System.nanoTime();
        int perPass = windowsPerPass(model, ctx, first, windows);
        for (int w0 = 0; w0 < windows; w0 += perPass) {
            int[][] in = new int[Math.min(perPass, windows - w0)][];
            for (int b = 0; b < in.length; b++) in[b] = method.window(tokens, ctx, w0 + b, bosId);
            float[] logits = model.forward(in, first, observer);
            for (int b = 0; b < in.length; b++) {
                int w = w0 + b, logitsOff = b * (ctx - first) * vocab;
                int[] win = in[b];
                long baseIndex = (long) w * scored;
                Parallel.forRange(scored, 8, (from, to) -> {
                    for (int r = from; r < to; r++) sc.score(logits, logitsOff, win, first, r, vocab, baseIndex, base);
                });
                for (int r = 0; r < scored; r++) {
                    if (!Double.isFinite(sc.nll[r]))
                        throw new CalqException(model.origin() + ": chunk " + (w + 1) + ", position " + (first + r + 1) + ": the log-probability of token "
                                + win[first + r + 1] + " is " + (-sc.nll[r]) + "; the forward pass is not finite (overflowing weights or activations)");
                    nll.add(sc.nll[r]);
                    if (kl != null) kl.add(sc.kl[r], sc.sameTop[r], sc.baseNll[r]);
                    if (save != null) {
                        try {
                            save.append(logits, logitsOff + r * vocab, sc.lse[r]);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }
                if (progress != null) progress.update(w + 1, windows, nll, (long) (w + 1) * ctx, (System.nanoTime() - start) / 1e9);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(method, ctx, windows, (long) windows * ctx, nll.count(), nll.perplexity(),
                nll.perplexityUncertainty(), seconds, kl == null ? null : kl.summary());
    }

    /** Tokens per forward pass, as llama.cpp's default batch of 2048: at ctx 512, four windows share one read of the weights. */
    static final int TOKENS_PER_PASS = 2048;

    /**
     * Windows run through the model together: up to {@link #TOKENS_PER_PASS} tokens, fewer when their activations
     * and logits would take more than a quarter of the heap (one window at least).
     */
    static int windowsPerPass(LlamaModel model, int ctx, int first, int windows) {
        long perWindow = model.activationBytes(ctx) + 8L * ctx * model.hiddenSize() + 4L * (ctx - first) * model.vocabSize();
        long budget = Runtime.getRuntime().maxMemory() / 4;
        long fit = Math.max(1, budget / Math.max(1, perWindow));
        return (int) Math.max(1, Math.min(Math.min(windows, TOKENS_PER_PASS / ctx), fit));
    }

    /** One window's per-position results, filled in parallel and then added up in order (deterministic sums). */
    private static final class WindowScores {
        final double[] lse, nll, kl, baseNll;
        final boolean[] sameTop;

        WindowScores(int n) {
            lse = new double[n];
            nll = new double[n];
            kl = new double[n];
            baseNll = new double[n];
            sameTop = new boolean[n];
        }

        /** Scores the prediction at position first + r (and, with a base, KL, top-1 agreement, the base NLL). */
        void score(float[] logits, int logitsOff, int[] in, int first, int r, int vocab, long baseIndex, LogProbFile.Reader base) {
            int off = logitsOff + r * vocab, target = in[first + r + 1];
            lse[r] = LogSoftmax.logSumExp(logits, off, vocab);
            nll[r] = lse[r] - logits[off + target];
            if (base == null) return;
            float[] row = ROW.get();
            if (row == null || row.length != vocab) ROW.set(row = new float[vocab]);
            base.logProbs(baseIndex + r, row);
            kl[r] = KlDivergence.position(row, logits, off, lse[r], vocab);
            sameTop[r] = LogSoftmax.argmax(row, 0, vocab) == LogSoftmax.argmax(logits, off, vocab);
            baseNll[r] = -row[target];
        }
    }
}
