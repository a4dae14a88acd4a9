package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class QuantizeAwqTest {
    @TempDir Path dir;

    private static int run(StringWriter err, String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void awqFormatNeedsTheAwqMethodAndFourBits() {
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, "quantize", "--model", dir.toString(), "--output", dir.resolve("o").toString(), "--format", "awq"));
        assertTrue(err.toString().contains("--format awq needs --method awq"), err.toString());
        err = new StringWriter();
        assertEquals(1, run(err, "quantize", "--model", dir.toString(), "--output", dir.resolve("o").toString(), "--method", "awq", "--bits", "3"));
        assertTrue(err.toString().contains("4-bit"), err.toString());
        assertEquals(1, err.toString().strip().lines().count());
        assertFalse(Files.exists(dir.resolve("o")));
    }

    @Test
    void quantizesTheSharedModelIntoAnAwqCheckpointThatLoads() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("tiny-awq");
        StringWriter err = new StringWriter();
        int code = run(err, "quantize", "--model", SharedData.tinyLlama().toString(), "--output", out.toString(), "--method", "awq",
                "--calibration", SharedData.calibrationText().toString(), "--nsamples", "2", "--seqlen", "32", "--awq-grid", "2",
                "--no-awq-clip", "--work-dir", dir.resolve("work").toString());
        assertEquals(0, code, err.toString());
        try (LoadedModel m = ModelLoader.load(out)) {
            assertEquals("awq", m.format());
            assertTrue(m.weights().contains("model.layers.7.mlp.down_proj.weight"));
        }
        assertFalse(Files.exists(dir.resolve("work")));
    }
}
