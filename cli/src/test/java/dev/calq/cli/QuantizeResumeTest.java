package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Determinism and crash safety of {@code calq quantize} on the shared model (skipped without ../shared): two runs
 * with the same options write byte-identical checkpoints, and a run killed with SIGKILL after a finished layer,
 * continued with --resume, writes the same bytes as an uninterrupted run: a GPTQ checkpoint, and GPTQ inside the
 * GGUF block types (whose ggml blocks are saved in the same resume file).
 */
class QuantizeResumeTest {
    @TempDir Path dir;
    private List<String> options;

    @BeforeEach void shared() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        options = List.of("quantize", "--model", SharedData.tinyLlama().toString(), "--calibration", SharedData.calibrationText().toString(),
                "--nsamples", "4", "--seqlen", "128", "--seed", "7");
    }

    private String[] args(Path out, String... extra) {
        List<String> a = new ArrayList<>(options);
        a.add("--output");
        a.add(out.toString());
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void sameOptionsGiveIdenticalBytesAndResumeAfterSigkillToo() throws Exception {
        String[] grid = {"--bits", "4", "--group-size", "128"};
        Path a = dir.resolve("a"), b = dir.resolve("b");
        assertEquals(0, Main.commandLine().execute(args(a, grid)));
        assertEquals(0, Main.commandLine().execute(args(b, grid)));
        assertSameFiles(a, b);
        assertFalse(Files.exists(dir.resolve("a.calq-work")), "the work folder is removed after a finished run");
        assertResumeAfterSigkillGivesSameBytes(a, dir.resolve("c"), grid);
    }

    @Test
    void gptqInsideGgufTypesResumesAfterSigkillToTheSameBytes() throws Exception {
        String[] gguf = {"--method", "gptq", "--format", "gguf", "--type", "Q8_0"}; // the fastest block type: the bytes round-trip whatever the type
        Path a = dir.resolve("a.gguf");
        assertEquals(0, Main.commandLine().execute(args(a, gguf)));
        assertFalse(Files.exists(dir.resolve("a.gguf.calq-work")), "the work folder is removed after a finished run");
        assertResumeAfterSigkillGivesSameBytes(a, dir.resolve("c.gguf"), gguf);
    }

    /** A separate JVM writing {@code c}, killed (SIGKILL) once the checkpoint names a finished layer past the first, then resumed. */
    private void assertResumeAfterSigkillGivesSameBytes(Path a, Path c, String... extra) throws Exception {
        Path work = c.resolveSibling(c.getFileName() + ".calq-work");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args(c, extra)));
        Path log = c.resolveSibling(c.getFileName() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (lastLayer(work) < 2 && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        p.destroyForcibly().waitFor();
        Assumptions.assumeTrue(!Files.exists(c), "the run finished before it could be killed");
        assertTrue(lastLayer(work) >= 2, "a checkpoint exists: " + Files.readString(log));

        List<String> resumed = new ArrayList<>(List.of(extra));
        resumed.add("--resume");
        assertEquals(0, Main.commandLine().execute(args(c, resumed.toArray(String[]::new))));
        assertSameFiles(a, c);
    }

    private static int lastLayer(Path work) {
        try {
            Path state = work.resolve("state");
            return Files.isRegularFile(state) ? Integer.parseInt(Files.readString(state).lines().findFirst().orElse("-1").trim()) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1; // being replaced right now
        }
    }

    private static void assertSameFiles(Path x, Path y) throws IOException {
        if (Files.isRegularFile(x)) {
            assertArrayEquals(Files.readAllBytes(x), Files.readAllBytes(y), y.toString());
            return;
        }
        List<Path> xs, ys;
        try (Stream<Path> s = Files.list(x)) { xs = s.map(Path::getFileName).sorted().toList(); }
        try (Stream<Path> s = Files.list(y)) { ys = s.map(Path::getFileName).sorted().toList(); }
        assertEquals(xs, ys);
        for (Path f : xs) assertArrayEquals(Files.readAllBytes(x.resolve(f)), Files.readAllBytes(y.resolve(f)), f.toString());
    }
}
