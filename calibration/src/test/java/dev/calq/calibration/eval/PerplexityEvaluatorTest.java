package dev.calq.calibration.eval;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.SyntheticModels;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityEvaluatorTest {
    private static final int CTX = 12, BOS = 1;
    private static final ModelConfig CONFIG = SyntheticModels.config(Architecture.LLAMA, false, RopeScaling.NONE);

    private static int[] stream(int n) {
        Random r = new Random(5);
        int[] t = new int[n];
        t[0] = BOS;
        for (int i = 1; i < n; i++) t[i] = 3 + r.nextInt(CONFIG.vocabSize() - 3);
        return t;
    }

    /** log-softmax of one row in double. */
    private static double[] logProbs(float[] logits, int off, int vocab) {
        double max = Double.NEGATIVE_INFINITY, s = 0;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        for (int i = 0; i < vocab; i++) s += Math.exp(logits[off + i] - max);
        double[] lp = new double[vocab];
        for (int i = 0; i < vocab; i++) lp[i] = logits[off + i] - max - Math.log(s);
        return lp;
    }

    @Test void windowsFollowTheTwoMethods() {
        int[] t = stream(40);
        assertEquals(3, PerplexityMethod.windows(t.length, CTX));
        int[] w1 = PerplexityMethod.LLAMA.window(t, CTX, 1, BOS);
        assertEquals(BOS, w1[0]);
        for (int i = 1; i < CTX; i++) assertEquals(t[CTX + i], w1[i]);
        int[] g1 = PerplexityMethod.GPTQ.window(t, CTX, 1, BOS);
        assertEquals(t[CTX], g1[0]);
        assertEquals(6, PerplexityMethod.LLAMA.firstScored(CTX));
        assertEquals(5, PerplexityMethod.LLAMA.scoredPerWindow(CTX));
        assertEquals(255, PerplexityMethod.LLAMA.scoredPerWindow(512));
        assertEquals(11, PerplexityMethod.GPTQ.scoredPerWindow(CTX));
        assertEquals(2, PerplexityEvaluator.windows(40, CTX, 2));
    }

    @Test void perplexityIsTheMeanNllOfTheScoredPositions() {
        LlamaModel model = SyntheticModels.model(CONFIG, 21);
        int[] t = stream(40);
        for (PerplexityMethod m : PerplexityMethod.values()) {
            PerplexityEvaluator.Result r = PerplexityEvaluator.evaluate(model, t, BOS, m, CTX, 3, null, null, null);
            double sum = 0, sum2 = 0;
            int n = 0;
            for (int w = 0; w < 3; w++) {
                int[] in = m.window(t, CTX, w, BOS);
                float[] logits = model.forward(in);
                for (int p = m.firstScored(CTX); p < CTX - 1; p++) {
                    double nll = -logProbs(logits, p * CONFIG.vocabSize(), CONFIG.vocabSize())[in[p + 1]];
                    sum += nll;
                    sum2 += nll * nll;
                    n++;
                }
            }
            assertEquals(n, r.tokensScored());
            assertEquals(3L * CTX, r.tokensProcessed());
            assertEquals(Math.exp(sum / n), r.ppl(), 1e-5 * r.ppl(), m.name());
            double mean = sum / n, unc = Math.sqrt((sum2 / n - mean * mean) / (n - 1));
            assertEquals(Math.exp(mean) * unc, r.pplUncertainty(), 1e-4 * r.pplUncertainty());
            assertNull(r.kl());
        }
    }

    @Test void savedLogProbsReproduceKlDivergence(@TempDir Path dir) throws Exception {
        LlamaModel base = SyntheticModels.model(CONFIG, 21), other = SyntheticModels.model(CONFIG, 22);
        int[] t = stream(40);
        PerplexityMethod m = PerplexityMethod.LLAMA;
        int vocab = CONFIG.vocabSize(), scored = m.scoredPerWindow(CTX);
        Path file = dir.resolve("base.logp");
        LogProbFile.Header h = new LogProbFile.Header(vocab, CTX, m, 3, scored, LogProbFile.fingerprint(t, t.length));
        PerplexityEvaluator.Result baseRun;
        try (LogProbFile.Writer w = new LogProbFile.Writer(file, h)) {
            baseRun = PerplexityEvaluator.evaluate(base, t, BOS, m, CTX, 3, w, null, null);
        }
        try (LogProbFile.Reader reader = new LogProbFile.Reader(file)) {
            assertEquals(h, reader.header());
            KlDivergence.Summary self = PerplexityEvaluator.evaluate(base, t, BOS, m, CTX, 3, null, reader, null).kl();
            assertEquals(15, self.positions());
            assertEquals(0, self.mean(), 2e-4);
            assertEquals(1.0, self.sameTop());
            assertEquals(baseRun.ppl(), self.basePpl(), 1e-3 * baseRun.ppl());

            KlDivergence.Summary kl = PerplexityEvaluator.evaluate(other, t, BOS, m, CTX, 3, null, reader, null).kl();
            double[] exact = new double[15];
            int same = 0, k = 0;
            for (int w = 0; w < 3; w++) {
                int[] in = m.window(t, CTX, w, BOS);
                float[] lb = base.forward(in), lo = other.forward(in);
                for (int p = m.firstScored(CTX); p < CTX - 1; p++, k++) {
                    double[] pb = logProbs(lb, p * vocab, vocab), po = logProbs(lo, p * vocab, vocab);
                    int ab = 0, ao = 0;
                    for (int i = 0; i < vocab; i++) {
                        exact[k] += Math.exp(pb[i]) * (pb[i] - po[i]);
                        if (pb[i] > pb[ab]) ab = i;
                        if (po[i] > po[ao]) ao = i;
                    }
                    if (ab == ao) same++;
                }
            }
            double mean = java.util.Arrays.stream(exact).average().orElseThrow();
            assertTrue(mean > 0.01, "the two random models should differ: " + mean);
            assertEquals(mean, kl.mean(), 5e-4);
            assertEquals(same / 15.0, kl.sameTop(), 1e-12);
            java.util.Arrays.sort(exact);
            assertEquals(exact[14], kl.max(), 5e-4);
            assertEquals(KlDivergence.percentile(toFloat(exact), 0.99), kl.p99(), 5e-4);
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Test void percentileInterpolatesBetweenOrderStatistics() {
        float[] v = {0, 1, 2, 3, 4};
        assertEquals(2, KlDivergence.percentile(v, 0.5), 0);
        assertEquals(3.96, KlDivergence.percentile(v, 0.99), 1e-6);
        assertEquals(0, KlDivergence.percentile(v, 0), 0);
    }

    @Test void corruptOrForeignFilesAreRejected(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.logp");
        java.nio.file.Files.write(f, new byte[100]);
        var e = assertThrows(dev.calq.formats.CalqException.class, () -> new LogProbFile.Reader(f));
        assertTrue(e.getMessage().contains("not a calq log-probability file"), e.getMessage());
        LogProbFile.Header h = new LogProbFile.Header(7, 12, PerplexityMethod.GPTQ, 2, 11, 42);
        Path g = dir.resolve("short.logp");
        try (LogProbFile.Writer w = new LogProbFile.Writer(g, h)) {
            w.append(new float[7], 0, Math.log(7));
        }
        e = assertThrows(dev.calq.formats.CalqException.class, () -> new LogProbFile.Reader(g));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        // Negative counts whose product matches the file size passed the size check and gave "PPL NaN over 0 tokens".
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64 + 22).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(LogProbFile.MAGIC).putInt(LogProbFile.VERSION).putInt(7).putInt(12).putInt(PerplexityMethod.GPTQ.ordinal())
                .putInt(-1).putInt(-1).putLong(42).putFloat(LogProbFile.RANGE);
        Path neg = dir.resolve("neg.logp");
        java.nio.file.Files.write(neg, b.array());
        e = assertThrows(dev.calq.formats.CalqException.class, () -> new LogProbFile.Reader(neg));
        assertEquals(neg + ": corrupt header: -1 windows", e.getMessage());
        e = assertThrows(dev.calq.formats.CalqException.class, () -> new LogProbFile.Reader(dir));
        assertTrue(e.getMessage().endsWith(": is a folder, not a log-probability file written by calq eval --save-logits"), e.getMessage());
    }
}
