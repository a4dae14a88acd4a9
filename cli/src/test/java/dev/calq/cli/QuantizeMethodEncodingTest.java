package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.quant.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Method x encoding in {@code calq quantize}: AWQ into GGUF, one pass into a checkpoint plus GGUF files, the refused pairs. */
class QuantizeMethodEncodingTest {
    @TempDir Path dir;

    private static String[] small(String... args) {
        return Stream.concat(Stream.of("quantize", "--model", SharedData.tinyLlama().toString(), "--calibration",
                SharedData.calibrationText().toString(), "--nsamples", "2", "--seqlen", "64"), Stream.of(args)).toArray(String[]::new);
    }

    @Test
    void pairsThatMakeNoSenseGetOneLineAndNoOutput() {
        Path o = dir.resolve("o");
        CliRun r = CliRun.of("quantize", "--model", dir.toString(), "--output", o.toString(), "--method", "gptq", "--format", "gguf");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("GPTQ inside llama.cpp's block types is not implemented yet"), r.err());
        assertEquals(1, r.err().strip().lines().count());
        r = CliRun.of("quantize", "--model", dir.toString(), "--output", o.toString(), "--format", "gguf", "--also-gguf", "Q4_K_M=x.gguf");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--also-gguf adds GGUF files to a GPTQ or AWQ checkpoint"), r.err());
        r = CliRun.of("quantize", "--model", dir.toString(), "--output", o.toString(), "--also-gguf", "Q4_K_M");
        assertTrue(r.err().contains("expected TYPE=FILE"), r.err());
        r = CliRun.of("quantize", "--model", dir.toString(), "--output", o.toString(), "--also-gguf", "Q4_Z=x.gguf");
        assertTrue(r.err().contains("unknown GGUF type Q4_Z"), r.err());
        r = CliRun.of("quantize", "--model", dir.toString(), "--output", o.toString(), "--imatrix", "x.gguf");
        assertTrue(r.err().contains("--imatrix applies to --format gguf with --method rtn"), r.err());
        assertFalse(Files.exists(o));
    }

    @Test
    void oneGptqPassWritesTheSameCheckpointPlusGgufFilesWithItsImportanceMatrix() throws IOException {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path plain = dir.resolve("plain"), both = dir.resolve("both"), q4 = dir.resolve("q4.gguf"), f16 = dir.resolve("f16.gguf");
        Path im = dir.resolve("im.gguf"), converted = dir.resolve("converted.gguf");
        assertEquals(0, CliRun.of(small("--no-true-sequential", "--output", plain.toString())).code());
        CliRun r = CliRun.of(small("--no-true-sequential", "--output", both.toString(), "--imatrix-output", im.toString(),
                "--also-gguf", "Q4_0=" + q4, "--also-gguf", "F16=" + f16));
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> files = Files.list(plain)) {
            for (Path f : files.toList())
                assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(both.resolve(f.getFileName())), f.getFileName() + " as without --also-gguf");
        }
        // The GGUF of a GPTQ pass holds the original weights rounded by the mix with the pass's own importance matrix:
        // exactly what convert writes from the saved matrix.
        assertEquals(0, CliRun.of("convert", "--model", SharedData.tinyLlama().toString(), "--type", "Q4_0", "--imatrix", im.toString(),
                "--output", converted.toString()).code());
        assertArrayEquals(Files.readAllBytes(converted), Files.readAllBytes(q4));
        try (GgufFile g = GgufFile.open(f16)) {
            assertEquals(GgmlType.F16, g.tensor("blk.0.attn_q.weight").type());
        }
    }

    @Test
    void awqIntoGgufWritesTheScaledModel() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path awqGguf = dir.resolve("awq.gguf"), plainGguf = dir.resolve("plain.gguf"), im = dir.resolve("im.gguf");
        CliRun r = CliRun.of(small("--method", "awq", "--format", "gguf", "--type", "Q4_0", "--awq-grid", "2", "--no-awq-clip",
                "--imatrix-output", im.toString(), "--output", awqGguf.toString()));
        assertEquals(0, r.code(), r.err());
        // The unscaled model with the same pass's (unscaled) matrix: the same mix decisions, other weights.
        assertEquals(0, CliRun.of("convert", "--model", SharedData.tinyLlama().toString(), "--type", "Q4_0", "--imatrix", im.toString(),
                "--output", plainGguf.toString()).code());
        try (GgufFile a = GgufFile.open(awqGguf); GgufFile p = GgufFile.open(plainGguf)) {
            assertEquals(p.tensors().size(), a.tensors().size());
            for (GgufTensorInfo t : p.tensors()) assertEquals(t.type(), a.tensor(t.name()).type(), t.name() + ": the same mix");
            assertFalse(a.data("blk.3.attn_q.weight").mismatch(p.data("blk.3.attn_q.weight")) == -1, "AWQ scaled q_proj's columns");
        }
        try (LoadedModel a = ModelLoader.load(awqGguf); LoadedModel p = ModelLoader.load(plainGguf)) {
            float[] na = a.weights().get("model.layers.0.input_layernorm.weight").toFloatArray();
            float[] np = p.weights().get("model.layers.0.input_layernorm.weight").toFloatArray();
            assertFalse(java.util.Arrays.equals(na, np), "AWQ's scales are folded into the norm");
            for (float v : na) assertTrue(Float.isFinite(v) && v != 0);
        }
    }
}
