package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistyped and hostile commands, as a new user tries them: each is one line naming the file or option, nothing lost. */
class HostileInputCliTest {
    @TempDir Path dir;

    private static void assertOneLineError(CliRun r, int code, String expected) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.err().startsWith("calq: error: ") && r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test void aMistypedValueIsOneLineNotTheUsage() {
        CliRun r = CliRun.of("quantize", "--model", "m", "--output", "o", "--method", "foo");
        assertOneLineError(r, 2, "--method");
        assertTrue(r.err().contains("see 'calq quantize --help'"), r.err());
        assertOneLineError(CliRun.of("eval", "--model"), 2, "--model");
        assertOneLineError(CliRun.of("convert", "--model", "m", "--output", "o", "--no-such-option"), 2, "--no-such-option");
    }

    @Test void imatrixRefusesANegativeChunkCount() {
        assertOneLineError(CliRun.of("imatrix", "--model", dir.resolve("m").toString(), "--calibration", "cal.txt",
                "--output", dir.resolve("im.gguf").toString(), "--chunks", "-1"), 1, "--chunks -1 must be at least 1");
    }

    @Test void quantizeRefusesAFileWhereAModelFolderBelongsBeforeCalibrating() throws IOException {
        Path gguf = Files.write(dir.resolve("x.gguf"), new byte[] {'G', 'G', 'U', 'F'});
        Path cal = Files.writeString(dir.resolve("cal.txt"), "some text");
        Path out = dir.resolve("q");
        assertOneLineError(CliRun.of("quantize", "--model", gguf.toString(), "--calibration", cal.toString(), "--output", out.toString()), 1,
                gguf + ": is a file; quantize reads a Hugging Face model folder");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(2, s.count(), "no output or work folder is left");
        }
    }

    @Test void klDivergenceGivenAFolderSaysSo() throws IOException {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path text = Files.writeString(dir.resolve("t.txt"), "Hello world. ".repeat(200));
        CliRun r = CliRun.of("eval", "--model", SharedData.tinyLlama().toString(), "--text", text.toString(), "--ctx", "64",
                "--chunks", "1", "--kl-divergence", dir.toString());
        assertOneLineError(r, 1, dir + ": is a folder, not a log-probability file");
    }

    /** The folder holding the model, and the model's own side inputs, are never an output, even with --overwrite. */
    @Test void overwriteNeverDeletesTheInputModelOrTheImatrix() throws IOException {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path work = Files.createDirectories(dir.resolve("work"));
        Path tiny = Files.createDirectories(work.resolve("tiny"));
        try (Stream<Path> s = Files.list(SharedData.tinyLlama())) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                try {
                    Files.createLink(tiny.resolve(f.getFileName()), f);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(f, tiny.resolve(f.getFileName()));
                }
            }
        }
        assertOneLineError(CliRun.of("convert", "--model", tiny.toString(), "--type", "Q8_0", "--output", work.toString(), "--overwrite"), 1,
                work + ": the output would replace a folder holding the input " + tiny);
        assertOneLineError(CliRun.of("quantize", "--method", "rtn", "--model", tiny.toString(), "--output", work.toString(), "--overwrite"), 1,
                "would replace a folder holding the input");
        Path cal = Files.writeString(dir.resolve("cal.txt"), "text");
        assertOneLineError(CliRun.of("imatrix", "--model", tiny.toString(), "--calibration", cal.toString(), "--output", cal.toString(),
                "--overwrite"), 1, cal + ": the output would replace the input " + cal);
        Path im = Files.writeString(dir.resolve("im.gguf"), "x");
        assertOneLineError(CliRun.of("convert", "--model", tiny.toString(), "--type", "Q8_0", "--imatrix", im.toString(), "--output", im.toString(),
                "--overwrite"), 1, "would replace the input " + im);
        assertTrue(Files.isRegularFile(tiny.resolve("model.safetensors")));
        assertEquals("text", Files.readString(cal));
        assertEquals("x", Files.readString(im));
    }

    /** Options the chosen method and format would drop are refused by name before anything runs. */
    @Test void optionsThatDoNotApplyAreRefused() throws IOException {
        Path model = Files.createDirectories(dir.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":32,\"intermediate_size\":48,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":40}");
        String out = dir.resolve("o").toString(), cal = "cal.txt";
        String[][] cases = {
                {"--method awq --act-order", "--act-order applies to --method gptq only"},
                {"--method rtn --no-true-sequential", "--true-sequential applies to --method gptq only"},
                {"--method gptq --awq-grid 10", "--awq-grid applies to --method awq only"},
                {"--format gguf --bits 3", "--bits sets the integer grid of a GPTQ/AWQ checkpoint"},
                // GPTQ inside the ggml types takes the mix's grid; only AWQ's search (awq, awq+gptq) reads --bits there
                {"--method gptq --format gguf --calibration " + cal + " --bits 3", "--bits sets the integer grid of a GPTQ/AWQ checkpoint"},
                {"--method gptq --format gguf --calibration " + cal + " --mse-clip", "--mse-clip sets the integer grid of a GPTQ/AWQ checkpoint"},
                {"--method gptq --format gguf --calibration " + cal + " --static-groups", "--static-groups does not apply to --format gguf"},
                {"--method awq+gptq --format gguf --calibration " + cal + " --static-groups", "--static-groups does not apply to --format gguf"},
                {"--method gptq --format gguf --calibration " + cal + " --block-size 64", "--block-size does not apply to --format gguf"},
                {"--method awq+gptq --format gguf --calibration " + cal + " --compare-rtn", "--compare-rtn does not apply to --format gguf"},
                // llama-quantize's per-tensor options with no GGUF file to apply them to
                {"--method rtn --pure", "--pure applies to GGUF outputs"},
                {"--method rtn --output-tensor-type q8_0", "--output-tensor-type applies to GGUF outputs"},
                {"--method rtn --tensor-type-file t.txt", "--tensor-type-file applies to GGUF outputs"},
                // nothing gathered, nothing to save
                {"--method rtn --imatrix-output im.gguf", "--imatrix-output applies only with --calibration"},
                {"--format gguf --calibration " + cal + " --imatrix im.gguf --imatrix-output o.gguf", "--imatrix-output does not apply with --imatrix FILE"},
                {"--format gguf --calibration " + cal + " --imatrix im.gguf", "--calibration does not apply with --imatrix FILE for --format gguf"},
                // a size target and its measurement: refused where nothing would read them
                {"--method rtn --target-size 30MiB", "--target-size applies to --format gguf with --method rtn, gptq or awq+gptq"},
                {"--method awq --format gguf --calibration " + cal + " --target-bpw 4", "--target-bpw applies to --format gguf with --method rtn, gptq or awq+gptq"},
                {"--format gguf --type Q4_K_M --report r", "--report applies to a size target"},
                {"--format gguf --type Q4_K_M --probe-chunks 2", "--probe-chunks applies to a size target"},
                // the method as the option spells it, not the enum constant
                {"--method awq+gptq --calibration " + cal + " --imatrix im.gguf", "--method awq+gptq into --format gptq uses the importance matrix"},
                {"--method awq+gptq --format gguf --calibration " + cal + " --dry-run", "--method awq+gptq has to calibrate first"},
                {"--type Q4_K_M", "--type applies to --format gguf"},
                {"--method rtn --nsamples 16", "--nsamples applies only with --calibration"},
                {"--format gguf --calibration " + cal + " --seed 3", "--seed does not apply to the importance-matrix pass"},
                {"--format gguf --resume", "--resume applies to layer-by-layer calibration runs"},
        };
        for (String[] c : cases) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("quantize", "--model", model.toString(), "--output", out));
            args.addAll(java.util.List.of(c[0].split(" ")));
            assertOneLineError(CliRun.of(args.toArray(String[]::new)), 1, c[1]);
        }
        assertTrue(Files.notExists(dir.resolve("o")));
    }

    /** A value the method cannot take is refused by name before the model is loaded, leaving no work folder. */
    @Test void methodValuesOutOfRangeAreRefusedByName() throws IOException {
        Path model = Files.createDirectories(dir.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":32,\"intermediate_size\":48,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":40}");
        Path cal = Files.writeString(dir.resolve("cal.txt"), "some text");
        for (String method : new String[] {"awq", "awq+gptq"}) {
            assertOneLineError(CliRun.of("quantize", "--model", model.toString(), "--calibration", cal.toString(), "--method", method,
                    "--awq-max-tokens", "0", "--output", dir.resolve("o").toString()), 1, "--awq-max-tokens 0 must be at least 1");
        }
        assertTrue(Files.notExists(dir.resolve("o")) && Files.notExists(dir.resolve("o.calq-work")));
        assertOneLineError(CliRun.of("quantize", "--model", model.toString(), "--calibration", cal.toString(), "--method", "awq+gptq", "--format", "gguf",
                "--type", "F16", "--output", dir.resolve("o.gguf").toString()), 1, "--method awq+gptq needs a quantized --type; F16 stores floats");
        // the GGUF GPTQ's own default in the message, and the option by name
        assertOneLineError(CliRun.of("quantize", "--model", model.toString(), "--calibration", cal.toString(), "--method", "gptq", "--format", "gguf",
                "--damp", "-1", "--output", dir.resolve("o.gguf").toString()), 1, "--damp -1.0 must be a finite fraction >= 0 (default 0.01; 0.1 for --format gguf)");
    }

    /** One path named as two outputs is refused before any work (it would fail at the end, or one would replace the other). */
    @Test void twoOutputsOfOneRunMayNotShareAPath() throws IOException {
        Path model = Files.createDirectories(dir.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":32,\"intermediate_size\":48,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":40}");
        Path cal = Files.writeString(dir.resolve("cal.txt"), "some text");
        String x = dir.resolve("x.gguf").toString(), o = dir.resolve("o").toString();
        assertOneLineError(CliRun.of("quantize", "--model", model.toString(), "--calibration", cal.toString(), "--output", o,
                "--also-gguf", "Q4_K_M=" + x, "--also-gguf", "Q8_0=" + x), 1, x + ": named as two outputs of this run");
        assertOneLineError(CliRun.of("quantize", "--model", model.toString(), "--calibration", cal.toString(), "--method", "awq", "--output", o,
                "--imatrix-output", o), 1, o + ": named as two outputs of this run");
        for (String method : new String[] {"rtn", "gptq"})
            assertOneLineError(CliRun.of("quantize", "--model", model.toString(), "--calibration", cal.toString(), "--method", method, "--format", "gguf",
                    "--output", x, "--imatrix-output", x), 1, x + ": named as two outputs of this run");
    }
}
