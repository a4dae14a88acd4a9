package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize --target-size, its replay file and report, and calq sensitivity, on the shared model (skipped without it). */
class TargetSizeTest {
    private static final String TYPES = "Q2_K,Q4_K,Q8_0";

    @Test
    void targetSizeFileFitsWithinOnePercentAndReplaysByteForByte(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("t.gguf"), im = dir.resolve("t.imatrix"), report = dir.resolve("report");
        long target = 30L << 20;
        CliRun r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--format", "gguf", "--calibration",
                SharedData.calibrationText().toString(), "--nsamples", "1", "--seqlen", "64", "--probe-chunks", "1",
                "--candidate-types", TYPES, "--target-size", "30MiB", "--imatrix-output", im.toString(), "--report", report.toString(),
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        long size = Files.size(out);
        assertTrue(size <= target && size >= 0.99 * target, size + " bytes for a target of " + target);
        Path types = dir.resolve("t.gguf.tensor-types.txt");
        List<String> lines = Files.readAllLines(types);
        assertEquals(8 * 7 + 2, lines.size(), "one override per quantized tensor");
        assertTrue(lines.getFirst().matches("\\^token_embd\\\\\\.weight\\$=q[248]_(0|K)"), lines.getFirst());

        // the same choice replayed from the file with the same importance matrix writes the same bytes
        Path replay = dir.resolve("replay.gguf");
        CliRun c = CliRun.of("convert", "--model", SharedData.tinyLlama().toString(), "--type", "Q4_K_M", "--imatrix", im.toString(),
                "--tensor-type-file", types.toString(), "--output", replay.toString());
        assertEquals(0, c.code(), c.err());
        assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(replay));

        for (String f : List.of("sensitivity.csv", "sensitivity.json", "heatmap.png", "size-kl.png"))
            assertTrue(Files.size(report.resolve(f)) > 1000, f);
        List<String> csv = Files.readAllLines(report.resolve("sensitivity.csv"));
        assertEquals("tensor,kind,layer,rows,cols,type,bytes,bpw,hessian_error,relative_error,predicted_kl,gain", csv.getFirst());
        assertEquals(1 + 58 * 3, csv.stream().filter(l -> !l.startsWith("#")).count(), "58 tensors x 3 types");
        assertEquals(1 + 7 * 3 + 2, csv.stream().filter(l -> l.startsWith("#")).count(), "7 kinds x 3 layers of substitutions, token_embd and output");
        byte[] png = Files.readAllBytes(report.resolve("heatmap.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }

    @Test
    void gptqRunsInsideTheChosenTypes(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("g.gguf"), im = dir.resolve("g.imatrix");
        // as a run killed in its GPTQ pass leaves it: the types file saved; the same command plus --resume goes on
        Path types = Files.writeString(dir.resolve("g.gguf.tensor-types.txt"), "left by the killed run\n");
        long target = 30L << 20;
        CliRun r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--method", "gptq", "--format", "gguf", "--calibration",
                SharedData.calibrationText().toString(), "--nsamples", "1", "--seqlen", "64", "--candidate-types", TYPES, "--target-size", "30MiB",
                "--imatrix-output", im.toString(), "--resume", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(!Files.readString(types).startsWith("left by"), "the types file is this run's choice");
        long size = Files.size(out);
        assertTrue(size <= target && size >= 0.99 * target, size + " bytes for a target of " + target);
        // the imatrix codecs with the same types: the same size, other bytes (GPTQ moved the projections' weights)
        Path plain = dir.resolve("plain.gguf");
        CliRun c = CliRun.of("convert", "--model", SharedData.tinyLlama().toString(), "--type", "Q4_K_M", "--imatrix", im.toString(),
                "--tensor-type-file", types.toString(), "--output", plain.toString());
        assertEquals(0, c.code(), c.err());
        assertEquals(size, Files.size(plain));
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(out), Files.readAllBytes(plain)));
    }

    @Test
    void targetBelowTheSmallestTypesIsOneLine(@TempDir Path dir) {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        CliRun r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--format", "gguf", "--calibration",
                SharedData.calibrationText().toString(), "--nsamples", "1", "--seqlen", "64", "--probe-chunks", "1",
                "--candidate-types", "Q4_K,Q8_0", "--target-bpw", "1.5", "--output", dir.resolve("t.gguf").toString());
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("below the smallest file the candidate types make"), r.err());
        assertTrue(r.err().lines().count() == 1, r.err());
        assertTrue(Files.notExists(dir.resolve("t.gguf")));
    }

    @Test
    void gptqRefusalsComeBeforeTheSensitivityPass(@TempDir Path dir) {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("a.gguf");
        CliRun r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--method", "gptq", "--format", "gguf", "--calibration",
                SharedData.calibrationText().toString(), "--nsamples", "1", "--seqlen", "64", "--candidate-types", TYPES, "--target-size", "30MiB",
                "--act-order", "--output", out.toString());
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("--act-order cannot reorder columns across ggml blocks"), r.err());
        assertTrue(r.err().lines().count() == 1, "refused before any measuring: " + r.err());
        assertTrue(Files.notExists(dir.resolve("a.gguf.tensor-types.txt")), "no types file of a run that cannot go on");
    }

}
