package dev.calq.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's heap (scripts/heap.sh) and the runner's in-process estimate are one figure, and it bounds what a
 * GPTQ job actually keeps live: the job completes in 1.5x the estimate (the launcher's factor) plus a small JVM
 * allowance, and fails in half of it, so the estimate is neither short nor far over.
 */
class HeapEstimateTest {
    /** What the probe JVM holds besides the job: classes, the runner's bookkeeping (the launcher allows 512 MiB for the CLI). */
    private static final long JVM_ALLOWANCE = 48L << 20;
    @TempDir static Path dir;
    static Path model;

    @BeforeAll static void writeModel() throws IOException {
        Path tok = dir.resolve("tok");
        Files.createDirectories(tok);
        Files.writeString(tok.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"intermediate_size\":16,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"vocab_size\":1000,\"bos_token_id\":1,\"eos_token_id\":2,\"rms_norm_eps\":1e-5}");
        model = dir.resolve("small");
        BenchModel.write(BenchModel.Shape.SMALL, tok, 0, 1L << 30, model);
    }

    private static long heapSh(String... options) throws Exception {
        Path script = Path.of("..", "scripts", "heap.sh").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(script), script.toString());
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "source \"$0\"; calq_heap_estimate \"$@\"", script.toString(),
                "quantize", "--model", model.toString(), "--calibration", "text.txt"));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), out);
        return Long.parseLong(out);
    }

    private static Process probe(String xmx, String output, String... job) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx" + xmx, "-Dcalq.threads=2",
                "-cp", System.getProperty("java.class.path"), HeapProbe.class.getName(), model.toString(), output));
        cmd.addAll(List.of(job));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String run(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "probe finished");
        return p.exitValue() + ":" + out;
    }

    private static long inProcess(String... job) throws Exception {
        String r = run(probe("1g", "estimate", job));
        assertTrue(r.startsWith("0:"), r);
        String[] lines = r.substring(2).trim().split("\n");
        return Long.parseLong(lines[lines.length - 1].trim());
    }

    @Test
    void heapShAndTheRunnerGiveTheSameEstimate() throws Exception {
        assertEquals(inProcess("gptq", "4", "128", "true", "8", "128"), heapSh("--nsamples", "8", "--seqlen", "128"));
        assertEquals(inProcess("gptq", "8", "-1", "false", "4", "200"),
                heapSh("--nsamples", "4", "--seqlen", "200", "--bits", "8", "--group-size", "-1", "--no-true-sequential"));
        assertEquals(inProcess("rtn", "3", "64", "true", "16", "64"),
                heapSh("--method", "rtn", "--nsamples", "16", "--seqlen", "64", "--bits", "3", "--group-size", "64"));
        // 8192 tokens: AWQ's cache outgrows GPTQ's solver on this shape, so the scaling's share decides the figure
        assertEquals(inProcess("awq+gptq", "4", "128", "true", "16", "512"), heapSh("--method", "awq+gptq", "--nsamples", "16", "--seqlen", "512"));
    }

    @Test
    void theEstimateBoundsTheLiveHeapOfAGptqRun() throws Exception {
        String[] job = {"gptq", "4", "128", "true", "4", "64"};
        long est = heapSh("--nsamples", "4", "--seqlen", "64");
        assertTrue(est > 64L << 20, "the Hessian dominates: " + est);
        String ok = run(probe((est * 3 / 2 + JVM_ALLOWANCE >> 20) + "m", dir.resolve("out").toString(), job));
        assertTrue(ok.startsWith("0:") && ok.contains("done"), ok);
        assertTrue(Files.isRegularFile(dir.resolve("out").resolve("quantize_config.json")), "the checkpoint was written");
        String tight = run(probe((est / 2 >> 20) + "m", dir.resolve("out2").toString(), job));
        assertFalse(tight.startsWith("0:"), "half the estimate is too little: " + tight);
        assertTrue(tight.contains("OutOfMemoryError"), tight);
    }
}
