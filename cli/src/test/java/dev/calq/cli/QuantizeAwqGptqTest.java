package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize --method awq+gptq on the shared model: GGUF and GPTQ checkpoints (skipped without ../shared). */
class QuantizeAwqGptqTest {
    @TempDir Path dir;

    private static String[] args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("quantize", "--model", SharedData.tinyLlama().toString(), "--calibration",
                SharedData.calibrationText().toString(), "--nsamples", "2", "--seqlen", "64", "--no-true-sequential", "--output", out.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** AWQ's search with one candidate, ratio 0 without duo scaling: every scale is exactly 1. */
    private static final String[] UNIT_SCALES = {"--method", "awq+gptq", "--awq-grid", "1", "--no-duo-scaling"};

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void unitScalesGiveExactlyPlainGptqsGgufFile() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path plain = dir.resolve("gptq.gguf"), unit = dir.resolve("unit.gguf"), awq = dir.resolve("awq-gptq.gguf");
        // awq+gptq fits the full-precision model's inputs (its default); plain GPTQ's default target is another
        CliRun r = CliRun.of(args(plain, "--format", "gguf", "--type", "Q4_0", "--method", "gptq", "--gptq-target", "fp-inputs"));
        assertEquals(0, r.code(), r.err());
        r = CliRun.of(args(unit, concat(UNIT_SCALES, "--format", "gguf", "--type", "Q4_0")));
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(plain), Files.readAllBytes(unit), "AWQ with unit scales then GPTQ is plain GPTQ, byte for byte");
        // sequential GPTQ: one model instance, scaled and quantized in place
        Path plainSeq = dir.resolve("gptq-seq.gguf"), unitSeq = dir.resolve("unit-seq.gguf");
        r = CliRun.of(args(plainSeq, "--format", "gguf", "--type", "Q4_0", "--method", "gptq", "--gptq-target", "quantized-inputs"));
        assertEquals(0, r.code(), r.err());
        r = CliRun.of(args(unitSeq, concat(UNIT_SCALES, "--format", "gguf", "--type", "Q4_0", "--gptq-target", "quantized-inputs")));
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(plainSeq), Files.readAllBytes(unitSeq), "the same with --gptq-target quantized-inputs");
        r = CliRun.of(args(dir.resolve("refused.gguf"), concat(UNIT_SCALES, "--format", "gguf", "--type", "Q4_0", "--gptq-target", "full-precision")));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--gptq-target full-precision does not apply to --method awq+gptq"), r.err());

        r = CliRun.of(args(awq, "--method", "awq+gptq", "--awq-grid", "4", "--format", "gguf", "--type", "Q4_0"));
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(dir.resolve("awq-gptq.gguf.calq-work")), "work folder removed");
        try (GgufFile a = GgufFile.open(plain); GgufFile b = GgufFile.open(awq)) {
            assertEquals(a.tensors().size(), b.tensors().size());
            int scaledNorms = 0;
            for (GgufTensorInfo ta : a.tensors()) {
                GgufTensorInfo tb = b.tensor(ta.name());
                assertEquals(ta.type(), tb.type(), ta.name() + ": the mix's types, so the plain file's size");
                boolean same = a.data(ta).asByteBuffer().equals(b.data(tb).asByteBuffer());
                if (ta.name().startsWith("blk.") && ta.name().endsWith("_norm.weight") && !same) scaledNorms++;
                if (ta.name().equals("token_embd.weight") || ta.name().equals("output.weight")) assertTrue(same, ta.name() + " is not scaled");
            }
            assertTrue(scaledNorms > 0, "AWQ folded its scales into some norms");
        }
        double scaled = ppl(awq), unscaled = ppl(plain);
        assertTrue(scaled < 1.2 * unscaled, "the scaled weights are GPTQ's and the norms match them: PPL " + scaled + " against plain GPTQ's " + unscaled);
    }

    /** calq eval's perplexity of {@code model} over two chunks of 64 tokens of the calibration text. */
    private static double ppl(Path model) {
        CliRun eval = CliRun.of("eval", "--model", model.toString(), "--text", SharedData.calibrationText().toString(), "--ctx", "64", "--chunks", "2", "--json");
        assertEquals(0, eval.code(), eval.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"ppl\"\\s*:\\s*([0-9.eE+-]+)").matcher(eval.out());
        assertTrue(m.find(), eval.out());
        return Double.parseDouble(m.group(1));
    }

    @Test
    void writesAGptqCheckpointWithTheScaledNormsThatLoads() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path awq = dir.resolve("awq-gptq");
        CliRun r = CliRun.of(args(awq, "--method", "awq+gptq", "--awq-grid", "4"));
        assertEquals(0, r.code(), r.err());
        try (LoadedModel base = ModelLoader.load(SharedData.tinyLlama()); LoadedModel w = ModelLoader.load(awq)) {
            assertEquals("gptq", w.format());
            int scaled = 0;
            for (int l = 0; l < 8; l++) {
                String norm = "model.layers." + l + ".input_layernorm.weight";
                if (!java.util.Arrays.equals(base.weights().get(norm).toFloatArray(), w.weights().get(norm).toFloatArray())) scaled++;
            }
            assertTrue(scaled > 0, "the scaled norms are written beside GPTQ's weights");
            assertTrue(w.weights().contains("model.layers.7.mlp.down_proj.weight"));
        }
        double q = ppl(awq), base = ppl(SharedData.tinyLlama());
        assertTrue(q < 1.5 * base, "a working 4-bit model: PPL " + q + " against the bf16 model's " + base);
    }

    @Test
    void refusesWhatDoesNotApply() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        String[][] cases = {
                {"--method", "awq+gptq", "--awq-clip"}, {"--method", "awq+gptq", "--format", "awq"}, {"--method", "awq+gptq", "--format", "nf4"},
                {"--method", "awq+gptq", "--also-gguf", "Q4_0=" + dir.resolve("x.gguf")},
                {"--method", "awq+gptq", "--format", "gguf", "--type", "Q4_0", "--imatrix-output", dir.resolve("x.imatrix").toString()}};
        String[] why = {"--awq-clip does not apply to --method awq+gptq", "--method awq+gptq writes --format gptq, compressed-tensors or gguf",
                "--method awq+gptq writes --format gptq, compressed-tensors or gguf", "--also-gguf does not apply to --method awq+gptq",
                "--imatrix-output does not apply to --method awq+gptq"};
        for (int i = 0; i < cases.length; i++) {
            CliRun r = CliRun.of(args(dir.resolve("o" + i), cases[i]));
            assertNotEquals(0, r.code(), String.join(" ", cases[i]));
            assertTrue(r.err().contains(why[i]), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(Files.exists(dir.resolve("o" + i)));
        }
    }
}
