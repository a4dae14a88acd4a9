package dev.calq.calibration.runner;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.formats.CalqException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationRunnerTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private static List<int[]> samples(int n, int len, int vocab, long seed) {
        Random r = new Random(seed);
        List<int[]> s = new ArrayList<>();
        for (int i = 0; i < n; i++) s.add(r.ints(len, 0, vocab).toArray());
        return s;
    }

    /** Observes sums of squares per (layer, site); optionally scales the O weights of each layer (a weight update). */
    static class SumSquares implements LayerMethod {
        final ToyLayerModel model;
        final boolean update;
        final List<Set<InputSite>> stages;
        final Map<String, double[]> sums = new HashMap<>();
        int failAfterLayer = Integer.MAX_VALUE;

        SumSquares(ToyLayerModel model, boolean update, List<Set<InputSite>> stages) {
            this.model = model;
            this.update = update;
            this.stages = stages;
        }

        @Override public List<Set<InputSite>> stages() { return stages; }

        @Override public LinearInputObserver observer(int layer, Set<InputSite> stage) {
            return (l, site, x, tokens, dim) -> {
                if (!stage.contains(site)) return;
                double[] s = sums.computeIfAbsent(l + "/" + site, k -> new double[dim]);
                for (int t = 0; t < tokens; t++) for (int i = 0; i < dim; i++) s[i] += (double) x[t * dim + i] * x[t * dim + i];
            };
        }

        @Override public boolean update(int layer, Set<InputSite> stage) {
            if (layer > failAfterLayer) throw new IllegalStateException("simulated kill");
            if (!update || !stage.contains(InputSite.ATTN_OUT)) return false;
            float[] w = model.o[layer];
            for (int i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 8) / 8f; // "quantize" O
            return true;
        }

        @Override public void saveLayer(int layer, Path dir) throws IOException {
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve("o.bin")))) {
                for (float v : model.o[layer]) out.writeFloat(v);
            }
        }

        @Override public void loadLayer(int layer, Path dir) throws IOException {
            try (DataInputStream in = new DataInputStream(Files.newInputStream(dir.resolve("o.bin")))) {
                for (int i = 0; i < model.o[layer].length; i++) model.o[layer][i] = in.readFloat();
            }
        }
    }

    private static List<float[]> runAndCollect(ToyLayerModel m, List<int[]> samples, LayerMethod method, RunnerOptions opt) {
        float[][] finals = new float[samples.size()][];
        new CalibrationRunner(m, samples, method, opt).onFinalStates((s, h, t) -> finals[s] = h).run();
        return List.of(finals);
    }

    @Test
    void identityUpdateReproducesThePlainForwardPass() {
        ToyLayerModel m = new ToyLayerModel(3, 19, 50, 1);
        List<int[]> samples = samples(5, 7, 50, 2);
        List<float[]> finals = runAndCollect(m, samples, new SumSquares(m, false, List.of(EnumSet.allOf(InputSite.class))),
                RunnerOptions.inMemory(QUIET));
        for (int s = 0; s < samples.size(); s++) assertArrayEquals(m.forward(samples.get(s)), finals.get(s));
    }

    @Test
    void observerStatisticsMatchADirectComputation() {
        ToyLayerModel m = new ToyLayerModel(2, 11, 30, 3);
        List<int[]> samples = samples(4, 6, 30, 4);
        SumSquares method = new SumSquares(m, false, List.of(EnumSet.allOf(InputSite.class)));
        new CalibrationRunner(m, samples, method, RunnerOptions.inMemory(QUIET)).run();
        Map<String, double[]> direct = new HashMap<>();
        for (int[] s : samples) {
            float[] h = m.embed(s);
            float[] out = new float[h.length];
            for (int l = 0; l < m.layers; l++) {
                m.runLayer(l, h, s.length, out, method.observer(l, EnumSet.allOf(InputSite.class)) == null ? null
                        : (l2, site, x, tokens, dim) -> {
                            double[] d = direct.computeIfAbsent(l2 + "/" + site, k -> new double[dim]);
                            for (int t = 0; t < tokens; t++) for (int i = 0; i < dim; i++) d[i] += (double) x[t * dim + i] * x[t * dim + i];
                        });
                float[] t = h; h = out; out = t;
            }
        }
        assertEquals(direct.keySet(), method.sums.keySet());
        for (String k : direct.keySet()) assertArrayEquals(direct.get(k), method.sums.get(k), 1e-9, k);
    }

    @Test
    void trueSequentialStagesSeeUpdatedWeightsAndOutputsUseThem() {
        ToyLayerModel m = new ToyLayerModel(2, 9, 20, 5);
        ToyLayerModel reference = new ToyLayerModel(2, 9, 20, 5);
        List<int[]> samples = samples(3, 5, 20, 6);
        List<Set<InputSite>> stages = List.of(EnumSet.of(InputSite.ATTN_IN, InputSite.ATTN_OUT), EnumSet.of(InputSite.MLP_IN, InputSite.MLP_OUT));
        List<float[]> finals = runAndCollect(m, samples, new SumSquares(m, true, stages), RunnerOptions.inMemory(QUIET));
        // The same "quantization" applied up front gives the same outputs: each layer's outputs used the new O.
        for (float[] w : reference.o) for (int i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 8) / 8f;
        for (int s = 0; s < samples.size(); s++) assertArrayEquals(reference.forward(samples.get(s)), finals.get(s));
    }

    @Test
    void spillingToAScratchFileGivesTheSameResult(@TempDir Path dir) {
        ToyLayerModel m = new ToyLayerModel(2, 13, 20, 7);
        List<int[]> samples = samples(6, 9, 20, 8);
        RunnerOptions tight = new RunnerOptions(8_000, dir, false, "k", QUIET);
        CalibrationRunner runner = new CalibrationRunner(m, samples, new SumSquares(m, false, List.of(EnumSet.allOf(InputSite.class))), tight);
        assertFalse(runner.estimate().hiddenFitsInMemory());
        float[][] finals = new float[samples.size()][];
        CalibrationRunner.Result r = runner.onFinalStates((s, h, t) -> finals[s] = h).run();
        assertTrue(r.spilled());
        for (int s = 0; s < samples.size(); s++) assertArrayEquals(m.forward(samples.get(s)), finals[s]);
    }

    @Test
    void aKilledRunsScratchFilesAreRemovedAndALiveRunsKept(@TempDir Path dir) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long live = ProcessHandle.current().parent().map(ProcessHandle::pid).orElseThrow();
        Path stale = java.nio.file.Files.writeString(dir.resolve("hidden-a.scratch-" + gone.pid()), "left by kill -9");
        Path other = java.nio.file.Files.writeString(dir.resolve("hidden-a.scratch-" + live), "another run's");
        Path unrelated = java.nio.file.Files.writeString(dir.resolve("hidden-a.scratch-notes"), "not a scratch file");
        ToyLayerModel m = new ToyLayerModel(2, 13, 20, 7);
        List<int[]> samples = samples(6, 9, 20, 8);
        RunnerOptions tight = new RunnerOptions(8_000, dir, false, "k", QUIET);
        assertTrue(new CalibrationRunner(m, samples, new SumSquares(m, false, List.of(EnumSet.allOf(InputSite.class))), tight).run().spilled());
        assertFalse(java.nio.file.Files.exists(stale), "a dead process's scratch file");
        assertTrue(java.nio.file.Files.exists(other), "a live process's scratch file");
        assertTrue(java.nio.file.Files.exists(unrelated));
    }

    @Test
    void refusesARunThatCannotFitEvenWithSpilling() {
        ToyLayerModel m = new ToyLayerModel(2, 64, 20, 9);
        RunnerOptions tiny = new RunnerOptions(1_000, null, false, "", QUIET);
        CalqException e = assertThrows(CalqException.class, () -> new CalibrationRunner(m, samples(2, 8, 20, 1),
                new SumSquares(m, false, List.of(EnumSet.allOf(InputSite.class))), tiny).run());
        assertTrue(e.getMessage().contains("memory budget"), e.getMessage());
    }

    @Test
    void resumeAfterAKillGivesTheSameResultAsAnUninterruptedRun(@TempDir Path dir) throws IOException {
        List<int[]> samples = samples(4, 6, 25, 10);
        List<Set<InputSite>> stages = List.of(EnumSet.allOf(InputSite.class));

        ToyLayerModel full = new ToyLayerModel(4, 10, 25, 11);
        List<float[]> expected = runAndCollect(full, samples, new SumSquares(full, true, stages),
                new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("a"), false, "k", QUIET));

        ToyLayerModel killed = new ToyLayerModel(4, 10, 25, 11);
        SumSquares dying = new SumSquares(killed, true, stages);
        dying.failAfterLayer = 1;
        RunnerOptions opt = new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("b"), false, "k", QUIET);
        assertThrows(IllegalStateException.class, () -> new CalibrationRunner(killed, samples, dying, opt).run());

        ToyLayerModel fresh = new ToyLayerModel(4, 10, 25, 11); // a new process: weights as on disk
        RunnerOptions resume = new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("b"), true, "k", QUIET);
        float[][] finals = new float[samples.size()][];
        CalibrationRunner.Result r = new CalibrationRunner(fresh, samples, new SumSquares(fresh, true, stages), resume)
                .onFinalStates((s, h, t) -> finals[s] = h).run();
        assertEquals(1, r.resumedFromLayer());
        for (int s = 0; s < samples.size(); s++) assertArrayEquals(expected.get(s), finals[s]);
        for (int l = 0; l < 4; l++) assertArrayEquals(full.o[l], fresh.o[l]);

        RunnerOptions otherRun = new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("b"), true, "other", QUIET);
        assertThrows(CalqException.class, () -> new CalibrationRunner(fresh, samples, new SumSquares(fresh, true, stages), otherRun).run());
    }

    @Test
    void resumeWithNothingCheckpointedStartsFromTheEmbeddings(@TempDir Path dir) throws IOException {
        // a run killed inside its first layer leaves no state: --resume must then run the whole model from the
        // embeddings, not from the empty hidden-state store
        List<int[]> samples = samples(3, 5, 25, 12);
        List<Set<InputSite>> stages = List.of(EnumSet.allOf(InputSite.class));
        ToyLayerModel plain = new ToyLayerModel(3, 10, 25, 13);
        List<float[]> expected = runAndCollect(plain, samples, new SumSquares(plain, true, stages), RunnerOptions.inMemory(QUIET));

        ToyLayerModel m = new ToyLayerModel(3, 10, 25, 13);
        RunnerOptions resume = new RunnerOptions(RunnerOptions.defaultBudget(), dir.resolve("never-started"), true, "k", QUIET);
        float[][] finals = new float[samples.size()][];
        CalibrationRunner.Result r = new CalibrationRunner(m, samples, new SumSquares(m, true, stages), resume)
                .onFinalStates((s, h, t) -> finals[s] = h).run();
        assertEquals(-1, r.resumedFromLayer());
        for (int s = 0; s < samples.size(); s++) assertArrayEquals(expected.get(s), finals[s]);
        assertTrue(Files.isRegularFile(dir.resolve("never-started/state")), "the resumed run checkpoints its layers");
    }
}
