package dev.calq.calibration.runner;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChainedMethodTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    /** Records which of its stages it observed and updated, in the runner's order, and what it saved and loaded. */
    static final class Recorder implements LayerMethod {
        final String name;
        final List<Set<InputSite>> stages;
        final List<String> log;
        final boolean changes;

        Recorder(String name, List<Set<InputSite>> stages, boolean changes, List<String> log) {
            this.name = name;
            this.stages = stages;
            this.changes = changes;
            this.log = log;
        }

        @Override public List<Set<InputSite>> stages() { return stages; }

        @Override
        public LinearInputObserver observer(int layer, Set<InputSite> stage) {
            log.add(name + " observe " + layer + " " + stages.indexOf(stage));
            return null;
        }

        @Override
        public boolean update(int layer, Set<InputSite> stage) {
            log.add(name + " update " + layer + " " + stages.indexOf(stage));
            return changes;
        }

        @Override public long workingBytes(int tokensTotal) { return name.equals("a") ? 100 : 7; }

        @Override
        public void saveLayer(int layer, Path dir) throws IOException {
            Files.writeString(dir.resolve(name + ".txt"), name + layer);
        }

        @Override
        public void loadLayer(int layer, Path dir) throws IOException {
            log.add(name + " load " + layer + " " + Files.readString(dir.resolve(name + ".txt")));
        }
    }

    private static List<int[]> samples() {
        Random r = new Random(3);
        return List.of(r.ints(5, 0, 20).toArray(), r.ints(5, 0, 20).toArray());
    }

    @Test
    void runsTheFirstMethodsStagesThenTheSecondsOnEveryLayer(@TempDir Path dir) {
        List<String> log = new ArrayList<>();
        Recorder a = new Recorder("a", List.of(EnumSet.allOf(InputSite.class)), false, log);
        Recorder b = new Recorder("b", List.of(EnumSet.of(InputSite.ATTN_IN), EnumSet.of(InputSite.MLP_IN)), true, log);
        ChainedMethod chain = new ChainedMethod(a, b);
        assertEquals(3, chain.stages().size());
        assertEquals(100, chain.workingBytes(10), "the larger of the two: the first's data is gone before the second's gathers");
        new CalibrationRunner(new ToyLayerModel(2, 7, 20, 1), samples(), chain, new RunnerOptions(RunnerOptions.defaultBudget(), dir, false, "k", QUIET)).run();
        List<String> expected = new ArrayList<>();
        for (int l = 0; l < 2; l++)
            expected.addAll(List.of("a observe " + l + " 0", "a update " + l + " 0", "b observe " + l + " 0", "b update " + l + " 0",
                    "b observe " + l + " 1", "b update " + l + " 1"));
        assertEquals(expected, log);
        assertTrue(Files.isRegularFile(dir.resolve("layer-1/first/a.txt")));
        assertTrue(Files.isRegularFile(dir.resolve("layer-1/second/b.txt")));

        // resume: each method loads its own sub-folder, the first before the second
        log.clear();
        new CalibrationRunner(new ToyLayerModel(2, 7, 20, 1), samples(), chain, new RunnerOptions(RunnerOptions.defaultBudget(), dir, true, "k", QUIET)).run();
        assertEquals(List.of("a load 0 a0", "b load 0 b0", "a load 1 a1", "b load 1 b1"), log);
    }
}
