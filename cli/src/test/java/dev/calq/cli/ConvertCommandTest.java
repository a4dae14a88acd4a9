package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.quant.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
    @TempDir Path dir;

    private static CliRun run(String... args) { return CliRun.of(args); }

    @Test
    void badTypeIsOneLineError() {
        CliRun r = run("convert", "--model", dir.toString(), "--output", dir.resolve("x.gguf").toString(), "--type", "Q9_Z");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("calq: error: unknown GGUF type Q9_Z"), r.err());
        assertEquals(1, r.err().strip().lines().count());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void missingModelFolderIsOneLineError() {
        CliRun r = run("convert", "--model", dir.resolve("nope").toString(), "--output", dir.resolve("x.gguf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("config.json"), r.err());
    }

    @Test
    void convertsTheSharedModelToQ8AndPrintsTheSummary() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("tiny-q8.gguf");
        CliRun r = run("convert", "--model", SharedData.tinyLlama().toString(), "--output", out.toString(), "--type", "q8_0",
                "--tensor-type", "token_embd=q4_0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Q8_0"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("total")), r.out());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(7, g.get("general.file_type").asLong());
            assertEquals(GgmlType.Q8_0, g.tensor("blk.3.ffn_down.weight").type());
            assertEquals(GgmlType.Q8_0, g.tensor("output.weight").type());
            assertEquals(GgmlType.Q4_0, g.tensor("token_embd.weight").type());
            assertEquals(GgmlType.F32, g.tensor("output_norm.weight").type());
            assertEquals(32000, g.get("tokenizer.ggml.tokens").asArray().size());
        }
        CliRun inspect = run("inspect", out.toString());
        assertEquals(0, inspect.code(), inspect.err());
        String text = inspect.out();
        assertTrue(text.contains("gguf") && text.contains("llama"), text);
        assertTrue(text.contains("tokenizer.ggml.tokens") && text.contains("[STRING x 32000"), text);
        assertTrue(text.lines().anyMatch(l -> l.contains("blk.7.ffn_down.weight") && l.contains("Q8_0")), text);
    }
}
