package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM that never reaches C2 (held at C1) and runs one thread: until C2 compiles a method the Vector API runs
 * its Java fallback, so an operation whose compiled form rounds or orders differently shows up as a difference
 * between what the child prints and what a warm JVM computes.
 */
public final class ColdJvm {
    private ColdJvm() {}

    /** Runs {@code main}'s main method in the child (this test classpath) and returns its standard output, stripped. */
    public static String run(Class<?> main, Path dir) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-Xmx512m", "-Dcalq.threads=1", "-cp", System.getProperty("java.class.path"), main.getName());
        Path err = dir.resolve("child.err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "child finished");
        assertEquals(0, p.exitValue(), Files.readString(err));
        return out.strip();
    }
}
