package dev.calq.gptq.sensitivity;

import dev.calq.calibration.eval.KlDivergence;
import dev.calq.calibration.eval.LogSoftmax;
import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.formats.Parallel;
import dev.calq.calibration.model.LlamaModel;

/**
 * The model's KL divergence from itself as it was when the probe was made, over a few windows of text held in
 * memory: the base log-probabilities of the scored positions (llama.cpp's windows: BOS first, second half scored)
 * are kept, and {@link #kl} runs the model as it is now over the same windows. Single-tensor substitutions are
 * measured with it, so it must be small: windows x (ctx/2) x vocab floats.
 */
public final class KlProbe {
    private final int[][] windows;
    private final int first, scored, vocab;
    private final float[] baseLogProbs; // [windows x scored x vocab]

    private KlProbe(int[][] windows, int first, int scored, int vocab, float[] baseLogProbs) {
        this.windows = windows;
        this.first = first;
        this.scored = scored;
        this.vocab = vocab;
        this.baseLogProbs = baseLogProbs;
    }

    /** Records the base distribution of {@code model} on the first {@code count} windows of {@code ctx} tokens. */
    public static KlProbe record(LlamaModel model, int[] tokens, int bosId, int ctx, int count) {
        PerplexityMethod m = PerplexityMethod.LLAMA;
        int n = Math.min(count, PerplexityMethod.windows(tokens.length, ctx));
        if (n <= 0) throw new IllegalArgumentException("fewer than one window of " + ctx + " tokens for the KL probe");
        int first = m.firstScored(ctx), scored = m.scoredPerWindow(ctx), vocab = model.vocabSize();
        int[][] w = new int[n][];
        float[] base = new float[Math.multiplyExact(Math.multiplyExact(n, scored), vocab)];
        for (int i = 0; i < n; i++) {
            w[i] = m.window(tokens, ctx, i, bosId);
            float[] logits = model.forward(w[i], first);
            int off = i * scored * vocab;
            Parallel.forRange(scored, 8, (from, to) -> {
                for (int r = from; r < to; r++) {
                    double lse = LogSoftmax.logSumExp(logits, r * vocab, vocab);
                    for (int v = 0; v < vocab; v++) base[off + r * vocab + v] = (float) (logits[r * vocab + v] - lse);
                }
            });
        }
        return new KlProbe(w, first, scored, vocab, base);
    }

    /** Positions scored per measurement. */
    public int positions() { return windows.length * scored; }

    /** Mean KL(base || model now) over the probe's positions. */
    public double kl(LlamaModel model) {
        double[] perPos = new double[positions()];
        for (int i = 0; i < windows.length; i++) {
            float[] logits = model.forward(windows[i], first);
            int wi = i;
            Parallel.forRange(scored, 8, (from, to) -> {
                float[] base = new float[vocab];
                for (int r = from; r < to; r++) {
                    System.arraycopy(baseLogProbs, (wi * scored + r) * vocab, base, 0, vocab);
                    double lse = LogSoftmax.logSumExp(logits, r * vocab, vocab);
                    perPos[wi * scored + r] = KlDivergence.position(base, logits, r * vocab, lse, vocab);
                }
            });
        }
        double s = 0;
        for (double v : perPos) s += v; // in order: deterministic
        return s / perPos.length;
    }
}
