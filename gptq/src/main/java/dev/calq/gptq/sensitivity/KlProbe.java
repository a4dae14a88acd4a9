package dev.calq.gptq.sensitivity;

import dev.calq.calibration.eval.KlDivergence;
import dev.calq.calibration.eval.LogSoftmax;
import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.formats.Parallel;
import dev.calq.calibration.model.LlamaModel;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The model's KL divergence from itself as it was when the probe was made, over a few windows of text held in
 * memory: the base log-probabilities of the scored positions (llama.cpp's windows: BOS first, second half scored)
 * are kept, and {@link #kl} runs the model as it is now over the same windows. Single-tensor substitutions are
 * measured with it, so it must be small: windows x (ctx/2) x vocab floats.
 *
 * <p>A substitution in decoder layer l leaves everything before l as it was, so the probe also keeps the hidden
 * state entering each layer it is asked for (and the last layer's output): {@link #kl(LlamaModel, int)} then runs
 * only layers l.. and the head, and a change of the head alone costs only the head. The last layer's output also
 * gives the head's input Hessian on the scored positions ({@link #headHessian}).
 */
public final class KlProbe {
    private final int[][] windows;
    private final int first, scored, vocab, layers;
    private final float[] baseLogProbs; // [windows x scored x vocab]
    private final Map<Integer, float[][]> inputs; // layer -> per window [ctx x hidden]; key `layers`: the last layer's output
    private final float[] headHessian; // sum over scored positions of x x^T, x the final-normed hidden state

    private KlProbe(int[][] windows, int first, int scored, int vocab, int layers, float[] baseLogProbs, Map<Integer, float[][]> inputs,
                    float[] headHessian) {
        this.windows = windows;
        this.first = first;
        this.scored = scored;
        this.vocab = vocab;
        this.layers = layers;
        this.baseLogProbs = baseLogProbs;
        this.inputs = inputs;
        this.headHessian = headHessian;
    }

    /** Records the base distribution of {@code model} on the first {@code count} windows of {@code ctx} tokens. */
    public static KlProbe record(LlamaModel model, int[] tokens, int bosId, int ctx, int count) {
        return record(model, tokens, bosId, ctx, count, Set.of());
    }

    /**
     * As {@link #record(LlamaModel, int[], int, int, int)}, keeping the input of each layer in {@code cachedLayers}
     * and the last layer's output, so substitutions there re-run only what follows them.
     */
    public static KlProbe record(LlamaModel model, int[] tokens, int bosId, int ctx, int count, Set<Integer> cachedLayers) {
        PerplexityMethod m = PerplexityMethod.LLAMA;
        int n = Math.min(count, PerplexityMethod.windows(tokens.length, ctx));
        if (n <= 0) throw new IllegalArgumentException("fewer than one window of " + ctx + " tokens for the KL probe");
        int first = m.firstScored(ctx), scored = m.scoredPerWindow(ctx), vocab = model.vocabSize(), layers = model.numLayers();
        int hidden = model.hiddenSize();
        int[][] w = new int[n][];
        float[] base = new float[Math.multiplyExact(Math.multiplyExact(n, scored), vocab)];
        Map<Integer, float[][]> inputs = new TreeMap<>();
        for (int l : cachedLayers) {
            if (l < 0 || l >= layers) throw new IllegalArgumentException("no layer " + l + " to cache");
            inputs.put(l, new float[n][]);
        }
        inputs.put(layers, new float[n][]);
        double[] gram = new double[hidden * hidden];
        for (int i = 0; i < n; i++) {
            w[i] = m.window(tokens, ctx, i, bosId);
            float[] h = model.embed(w[i]);
            for (int l = 0; l < layers; l++) {
                if (inputs.containsKey(l)) inputs.get(l)[i] = h.clone();
                model.runLayer(l, h, w[i].length, h, null);
            }
            inputs.get(layers)[i] = h;
            addGram(model, h, first, w[i].length, hidden, gram);
            float[] logits = model.logits(h, w[i].length, first);
            int off = i * scored * vocab;
            Parallel.forRange(scored, 8, (from, to) -> {
                for (int r = from; r < to; r++) {
                    double lse = LogSoftmax.logSumExp(logits, r * vocab, vocab);
                    for (int v = 0; v < vocab; v++) base[off + r * vocab + v] = (float) (logits[r * vocab + v] - lse);
                }
            });
        }
        float[] hh = new float[gram.length];
        for (int i = 0; i < gram.length; i++) hh[i] = (float) gram[i];
        return new KlProbe(w, first, scored, vocab, layers, base, inputs, hh);
    }

    /** Adds x x^T of the final-normed hidden states of rows first.. to {@code gram} (the head's input). */
    private static void addGram(LlamaModel model, float[] h, int first, int rows, int hidden, double[] gram) {
        int n = rows - first;
        float[] x = new float[n * hidden];
        for (int r = 0; r < n; r++) {
            System.arraycopy(h, (first + r) * hidden, x, r * hidden, hidden);
            model.finalNorm().applyRow(x, x, r * hidden);
        }
        Parallel.forRange(hidden, 8, (from, to) -> {
            for (int a = from; a < to; a++) {
                for (int r = 0; r < n; r++) {
                    double xa = x[r * hidden + a];
                    if (xa == 0) continue;
                    int row = r * hidden;
                    for (int b = 0; b < hidden; b++) gram[a * hidden + b] += xa * x[row + b];
                }
            }
        });
    }

    /** Positions scored per measurement. */
    public int positions() { return windows.length * scored; }

    /** The head's input Hessian over the scored positions, sum of x x^T ([hidden x hidden], row-major). */
    public float[] headHessian() { return headHessian; }

    /** Mean KL(base || model now) over the probe's positions. */
    public double kl(LlamaModel model) {
        return kl(model, -1);
    }

    /**
     * As {@link #kl(LlamaModel)} when nothing before layer {@code fromLayer} changed since the probe was recorded:
     * starts from the kept input of that layer ({@code numLayers}: the head alone). -1 or a layer not kept runs the
     * whole model.
     */
    public double kl(LlamaModel model, int fromLayer) {
        boolean cached = inputs.containsKey(fromLayer);
        double[] perPos = new double[positions()];
        for (int i = 0; i < windows.length; i++) {
            int len = windows[i].length;
            float[] h;
            int from;
            if (cached) {
                h = inputs.get(fromLayer)[i].clone();
                from = fromLayer;
            } else {
                h = model.embed(windows[i]);
                from = 0;
            }
            for (int l = from; l < layers; l++) model.runLayer(l, h, len, h, null);
            float[] logits = model.logits(h, len, first);
            int wi = i;
            Parallel.forRange(scored, 8, (lo, hi) -> {
                float[] base = new float[vocab];
                for (int r = lo; r < hi; r++) {
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
