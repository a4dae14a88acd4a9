package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Options declared once as mixins mean the same in every command that takes them (no model needed). */
class SharedOptionsTest {
    @TempDir Path dir;

    private static CommandLine.Model.OptionSpec option(String command, String name) {
        CommandLine.Model.OptionSpec o = Main.commandLine().getSubcommands().get(command).getCommandSpec().findOption(name);
        assertNotNull(o, command + " " + name);
        return o;
    }

    @Test
    void chunksMeansTheSameInEvalAndImatrix() {
        assertEquals(String.join(" ", option("eval", "--chunks").description()), String.join(" ", option("imatrix", "--chunks").description()));
        assertEquals(option("eval", "--ctx").initialValue(), option("imatrix", "--ctx").initialValue());
        CliRun eval = CliRun.of("eval", "--model", dir.resolve("m").toString(), "--text", dir.resolve("t.txt").toString(), "--chunks", "-1");
        CliRun imatrix = CliRun.of("imatrix", "--model", dir.resolve("m").toString(), "--calibration", dir.resolve("t.txt").toString(),
                "--chunks", "-1", "--output", dir.resolve("i.gguf").toString());
        assertEquals(1, eval.code());
        assertEquals(1, imatrix.code());
        assertTrue(eval.err().contains("--chunks -1 must be at least 1 (or 0, the default, for all chunks)"), eval.err());
        assertTrue(imatrix.err().contains("--chunks -1 must be at least 1 (or 0, the default, for all chunks)"), imatrix.err());
    }

    @Test
    void ggufTypeOptionsAreOneDeclarationWithEachCommandsDefault() {
        for (String name : new String[] {"--imatrix", "--tensor-type", "--tensor-type-file", "--pure", "--output-tensor-type", "--dry-run"})
            assertEquals(String.join(" ", option("convert", name).description()), String.join(" ", option("quantize", name).description()), name);
        String convert = String.join(" ", option("convert", "--type").description()), quantize = String.join(" ", option("quantize", "--type").description());
        assertEquals(convert.replace("(default: F16)", "(default: Q4_K_M)"), quantize, "one --type text, each command's default in it");
        assertEquals("F16", option("convert", "--type").initialValue());
        assertEquals("Q4_K_M", option("quantize", "--type").initialValue());
    }
}
