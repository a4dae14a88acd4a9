package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --gptq-target and --gptq-embedding of quantize --method gptq --format gguf on the shared model (skipped without
 * ../shared): where the full-precision and quantized models' inputs coincide (layer 0's first site, from the original
 * embedding) the full-precision target writes plain GPTQ's bytes, after it does not; the stored embedding is the
 * writer's own token_embd; a run killed with SIGKILL and resumed writes the uninterrupted run's bytes.
 */
class QuantizeGgufGptqTargetTest {
    @TempDir Path dir;

    @BeforeEach void shared() { Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING); }

    private static String[] args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("quantize", "--model", SharedData.tinyLlama().toString(), "--calibration",
                SharedData.calibrationText().toString(), "--method", "gptq", "--format", "gguf",
                "--type", "Q4_0", "--output", out.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** Two samples of 64 tokens: enough for the bytes to differ where the inputs do. */
    private static String[] small(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of(args(out, extra)));
        a.addAll(List.of("--nsamples", "2", "--seqlen", "64"));
        return a.toArray(String[]::new);
    }

    private static byte[] bytes(GgufFile f, String tensor) {
        GgufTensorInfo t = f.tensor(tensor);
        byte[] b = new byte[Math.toIntExact(f.data(t).byteSize())];
        f.data(t).asByteBuffer().get(b);
        return b;
    }

    @Test
    void fullPrecisionTargetIsPlainGptqWhereTheInputsCoincide() throws Exception {
        Path quantized = dir.resolve("q.gguf"), full = dir.resolve("f.gguf"), stored = dir.resolve("s.gguf"), plain = dir.resolve("p.gguf");
        assertEquals(0, CliRun.of(small(quantized, "--gptq-target", "quantized-inputs")).code());
        CliRun r = CliRun.of(small(full, "--gptq-target", "full-precision"));
        assertEquals(0, r.code(), r.err());
        assertEquals(0, CliRun.of(small(stored, "--gptq-target", "full-precision", "--gptq-embedding", "stored")).code());
        assertEquals(0, CliRun.of(small(plain, "--gptq-target", "fp-inputs")).code());
        try (GgufFile q = GgufFile.open(quantized); GgufFile f = GgufFile.open(full); GgufFile s = GgufFile.open(stored); GgufFile p = GgufFile.open(plain)) {
            for (String t : List.of("blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight"))
                assertArrayEquals(bytes(q, t), bytes(f, t), t + ": X = X~ at layer 0's first site");
            assertFalse(java.util.Arrays.equals(bytes(q, "blk.0.attn_output.weight"), bytes(f, "blk.0.attn_output.weight")),
                    "after the first site the inputs differ and so do the fits");
            // the stored embedding is written as the writer writes it; the quantized stream starting from it moves layer 0
            assertArrayEquals(bytes(f, "token_embd.weight"), bytes(s, "token_embd.weight"));
            assertFalse(java.util.Arrays.equals(bytes(f, "blk.0.attn_q.weight"), bytes(s, "blk.0.attn_q.weight")));
            // fp-inputs: every Hessian from the unquantized model, so layer 1 differs from the quantized-inputs run
            assertFalse(java.util.Arrays.equals(bytes(q, "blk.1.attn_q.weight"), bytes(p, "blk.1.attn_q.weight")));
            assertArrayEquals(bytes(q, "blk.0.attn_q.weight"), bytes(p, "blk.0.attn_q.weight"));
        }
    }

    @Test
    void refusesBadTargets() {
        CliRun r = CliRun.of(small(dir.resolve("a.gguf"), "--gptq-target", "fancy"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-target fancy: expected fp-inputs, quantized-inputs or full-precision"), r.err());
        r = CliRun.of(small(dir.resolve("b.gguf"), "--gptq-target", "fp-inputs", "--gptq-embedding", "stored"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-embedding stored needs a quantized stream"), r.err());
        r = CliRun.of(small(dir.resolve("c.gguf"), "--gptq-target", "full-precision", "--gptq-target-shrink", "3"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-target-shrink 3.0: expected a value in [0, 2]"), r.err());
        r = CliRun.of(small(dir.resolve("d.gguf"), "--gptq-target", "full-precision", "--gptq-target-damp", "-1"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-target-damp -1.0: expected a value in [0, 10]"), r.err());
        r = CliRun.of(small(dir.resolve("f.gguf"), "--gptq-target", "quantized-inputs", "--gptq-target-shrink", "0.25"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-target-shrink applies to --gptq-target full-precision only (quantized-inputs fits no shift)"), r.err());
        r = CliRun.of(small(dir.resolve("g.gguf"), "--gptq-target", "fp-inputs", "--gptq-target-damp", "0.1"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-target-damp applies to --gptq-target full-precision only"), r.err());
        r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--calibration", SharedData.calibrationText().toString(),
                "--gptq-target", "full-precision", "--output", dir.resolve("e").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-target applies to --method gptq --format gguf only"), r.err());
        for (String f : List.of("a.gguf", "b.gguf", "c.gguf", "d.gguf", "e", "f.gguf", "g.gguf")) assertFalse(Files.exists(dir.resolve(f)), f);
    }

    @Test
    void resumeAfterSigkillWritesTheUninterruptedRunsBytes() throws Exception {
        Path a = dir.resolve("a.gguf"), c = dir.resolve("c.gguf");
        String[] extra = {"--gptq-target", "full-precision", "--gptq-embedding", "stored", "--nsamples", "2", "--seqlen", "128"};
        assertEquals(0, CliRun.of(args(a, extra)).code());
        Path work = dir.resolve("c.gguf.calq-work");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args(c, extra)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("c.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (lastLayer(work) < 2 && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        p.destroyForcibly().waitFor();
        Assumptions.assumeTrue(!Files.exists(c), "the run finished before it could be killed");
        assertTrue(lastLayer(work) >= 2, "a checkpoint exists: " + Files.readString(dir.resolve("c.log")));
        assertTrue(Files.exists(work.resolve("hidden-fp-" + lastLayer(work) + ".bin")), "the full-precision stream is checkpointed");
        CliRun r = CliRun.of(args(c, append(extra, "--resume")));
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(c));
    }

    private static String[] append(String[] a, String b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = b;
        return r;
    }

    private static int lastLayer(Path work) {
        try {
            Path state = work.resolve("state");
            return Files.isRegularFile(state) ? Integer.parseInt(Files.readString(state).lines().findFirst().orElse("-1").trim()) : -1;
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
    }
}
