package dev.calq.calibration.runner;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.PairedInputObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's full-precision stream: a method that asks for it gets, at every site, the inputs of the model with its
 * original weights beside those of the model being quantized (earlier stages' and layers' updates applied, the
 * quantized stream starting from the method's embedding), and a resumed run hands over the same pairs.
 */
class FullPrecisionStreamTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    /** "Quantizes" O (rounding to eighths) at its stage, records every pair, starts the quantized stream from half the embedding. */
    static final class PairRecorder extends CalibrationRunnerTest.SumSquares {
        final Map<String, List<float[]>> full = new LinkedHashMap<>(), quantized = new LinkedHashMap<>();

        PairRecorder(ToyLayerModel model, List<Set<InputSite>> stages) { super(model, true, stages); }

        @Override public boolean wantsFullPrecisionInputs() { return true; }

        @Override public PairedInputObserver pairedObserver(int layer, Set<InputSite> stage) {
            return (l, site, f, q, tokens, dim) -> {
                assertTrue(stage.contains(site));
                full.computeIfAbsent(l + "/" + site, k -> new ArrayList<>()).add(java.util.Arrays.copyOf(f, tokens * dim));
                quantized.computeIfAbsent(l + "/" + site, k -> new ArrayList<>()).add(java.util.Arrays.copyOf(q, tokens * dim));
            };
        }

        @Override public float[] quantizedEmbedding(int[] tokens) {
            float[] e = model.embed(tokens);
            for (int i = 0; i < e.length; i++) e[i] *= 0.5f;
            return e;
        }
    }

    private static List<int[]> samples(int n, int len, int vocab, long seed) {
        Random r = new Random(seed);
        List<int[]> s = new ArrayList<>();
        for (int i = 0; i < n; i++) s.add(r.ints(len, 0, vocab).toArray());
        return s;
    }

    /** Every site input of every sample of a plain layer-by-layer run of {@code m}, from {@code scale} times the embedding. */
    private static Map<String, List<float[]>> inputs(ToyLayerModel m, List<int[]> samples, float scale) {
        Map<String, List<float[]>> seen = new LinkedHashMap<>();
        for (int[] s : samples) {
            float[] h = m.embed(s);
            for (int i = 0; i < h.length; i++) h[i] *= scale;
            float[] out = new float[h.length];
            for (int l = 0; l < m.layers; l++) {
                LinearInputObserver obs = (layer, site, x, tokens, dim) ->
                        seen.computeIfAbsent(layer + "/" + site, k -> new ArrayList<>()).add(java.util.Arrays.copyOf(x, tokens * dim));
                m.runLayer(l, h, s.length, out, obs);
                float[] t = h; h = out; out = t;
            }
        }
        return seen;
    }

    private static void assertSame(Map<String, List<float[]>> expected, Map<String, List<float[]>> actual, int fromLayer) {
        assertSame(expected, actual, fromLayer, EnumSet.allOf(InputSite.class));
    }

    private static void assertSame(Map<String, List<float[]>> expected, Map<String, List<float[]>> actual, int fromLayer, Set<InputSite> sites) {
        for (var e : expected.entrySet()) {
            if (Integer.parseInt(e.getKey().split("/")[0]) < fromLayer || !sites.contains(InputSite.valueOf(e.getKey().split("/")[1]))) continue;
            List<float[]> got = actual.get(e.getKey());
            assertNotNull(got, e.getKey());
            assertEquals(e.getValue().size(), got.size(), e.getKey());
            for (int i = 0; i < got.size(); i++) assertArrayEquals(e.getValue().get(i), got.get(i), e.getKey() + " sample " + i);
        }
    }

    private static ToyLayerModel quantizedO(int layers, int dim, int vocab, long seed) {
        ToyLayerModel m = new ToyLayerModel(layers, dim, vocab, seed);
        for (float[] w : m.o) for (int i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 8) / 8f;
        return m;
    }

    @Test
    void pairsAreTheOriginalModelsInputsBesideTheQuantizedModels() {
        for (List<Set<InputSite>> stages : List.of(
                List.<Set<InputSite>>of(EnumSet.allOf(InputSite.class)),
                List.<Set<InputSite>>of(EnumSet.of(InputSite.ATTN_IN), EnumSet.of(InputSite.ATTN_OUT), EnumSet.of(InputSite.MLP_IN), EnumSet.of(InputSite.MLP_OUT)))) {
            ToyLayerModel m = new ToyLayerModel(3, 11, 20, 21);
            List<int[]> samples = samples(3, 7, 20, 22);
            PairRecorder method = new PairRecorder(m, stages);
            float[][] finals = new float[samples.size()][];
            new CalibrationRunner(m, samples, method, RunnerOptions.inMemory(QUIET)).onFinalStates((s, h, t) -> finals[s] = h).run();
            assertSame(inputs(new ToyLayerModel(3, 11, 20, 21), samples, 1f), method.full, 0);
            // O is rounded at its stage: every later layer sees it rounded, and so do the sites after it in its own layer
            // when they are observed in a later stage (true-sequential); in one stage they see it as it was.
            boolean sequential = stages.size() > 1;
            assertSame(inputs(quantizedO(3, 11, 20, 21), samples, 0.5f), method.quantized, 0,
                    sequential ? EnumSet.allOf(InputSite.class) : EnumSet.of(InputSite.ATTN_IN, InputSite.ATTN_OUT));
            assertEquals(12, method.full.size(), "every site of every layer is paired");
            ToyLayerModel q = quantizedO(3, 11, 20, 21);
            for (int s = 0; s < samples.size() && sequential; s++) {
                float[] h = q.embed(samples.get(s));
                for (int i = 0; i < h.length; i++) h[i] *= 0.5f;
                float[] out = new float[h.length];
                for (int l = 0; l < 3; l++) { q.runLayer(l, h, samples.get(s).length, out, null); float[] t = h; h = out; out = t; }
                assertArrayEquals(h, finals[s], "the final states are the quantized stream's");
            }
        }
    }

    @Test
    void resumeRestoresBothStreams(@TempDir Path dir) throws IOException {
        List<int[]> samples = samples(4, 6, 25, 30);
        List<Set<InputSite>> stages = List.of(EnumSet.of(InputSite.ATTN_IN, InputSite.ATTN_OUT), EnumSet.of(InputSite.MLP_IN, InputSite.MLP_OUT));
        ToyLayerModel whole = new ToyLayerModel(4, 10, 25, 31);
        PairRecorder expected = new PairRecorder(whole, stages);
        new CalibrationRunner(whole, samples, expected, new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("a"), false, "k", QUIET)).run();

        ToyLayerModel killed = new ToyLayerModel(4, 10, 25, 31);
        PairRecorder dying = new PairRecorder(killed, stages);
        dying.failAfterLayer = 1;
        RunnerOptions opt = new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("b"), false, "k", QUIET);
        assertThrows(IllegalStateException.class, () -> new CalibrationRunner(killed, samples, dying, opt).run());

        ToyLayerModel fresh = new ToyLayerModel(4, 10, 25, 31);
        PairRecorder resumed = new PairRecorder(fresh, stages);
        CalibrationRunner.Result r = new CalibrationRunner(fresh, samples, resumed,
                new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("b"), true, "k", QUIET)).run();
        assertEquals(1, r.resumedFromLayer());
        assertSame(expected.full, resumed.full, 2);
        assertSame(expected.quantized, resumed.quantized, 2);
        assertEquals(8, resumed.full.size(), "layers 2 and 3 only");
    }

    @Test
    void theStreamDoublesTheHiddenStatesInTheEstimate() {
        ToyLayerModel m = new ToyLayerModel(2, 16, 20, 40);
        List<int[]> samples = samples(5, 8, 20, 41);
        List<Set<InputSite>> stages = List.of(EnumSet.allOf(InputSite.class));
        MemoryEstimate plain = new CalibrationRunner(m, samples, new CalibrationRunnerTest.SumSquares(m, false, stages), RunnerOptions.inMemory(QUIET)).estimate();
        MemoryEstimate paired = new CalibrationRunner(m, samples, new PairRecorder(m, stages), RunnerOptions.inMemory(QUIET)).estimate();
        assertEquals(2 * plain.hiddenBytes(), paired.hiddenBytes());
        assertTrue(paired.fixedBytes() > plain.fixedBytes());
    }
}
