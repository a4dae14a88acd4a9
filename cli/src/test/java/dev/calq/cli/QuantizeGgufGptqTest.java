package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.quant.Quantizers;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize --method gptq --format gguf on the shared model, against the imatrix-only file of the same mix (skipped without ../shared). */
class QuantizeGgufGptqTest {
    private static String[] args(Path out, String... extra) {
        String[] base = {"quantize", "--model", SharedData.tinyLlama().toString(), "--calibration", SharedData.calibrationText().toString(),
                "--nsamples", "2", "--seqlen", "64", "--format", "gguf", "--type", "Q4_0", "--output", out.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void gptqFileHasTheMixesTypesAndDiffersOnlyInTheProjections(@TempDir Path dir) {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path plain = dir.resolve("plain.gguf"), gptq = dir.resolve("gptq.gguf");
        assertEquals(0, CliRun.of(args(plain)).code());
        CliRun r = CliRun.of(args(gptq, "--method", "gptq", "--no-true-sequential"));
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(dir.resolve("gptq.gguf.calq-work")), "work folder removed");
        try (GgufFile a = GgufFile.open(plain); GgufFile b = GgufFile.open(gptq)) {
            assertEquals(a.tensors().size(), b.tensors().size());
            int differing = 0;
            for (GgufTensorInfo ta : a.tensors()) {
                GgufTensorInfo tb = b.tensor(ta.name());
                assertEquals(ta.type(), tb.type(), ta.name());
                boolean same = a.data(ta).asByteBuffer().equals(b.data(tb).asByteBuffer());
                boolean projection = ta.name().startsWith("blk.") && !ta.name().contains("norm");
                if (!projection) assertTrue(same, ta.name() + " is not GPTQ's and must be the imatrix file's");
                else if (!same) differing++;
                if (projection) {
                    int cols = (int) tb.ne(0), rows = (int) (tb.elementCount() / cols);
                    for (float v : Quantizers.dequantize(tb.type(), b.data(tb), 0, rows, cols)) assertTrue(Float.isFinite(v), tb.name());
                }
            }
            assertEquals(8 * 7, differing, "every projection of the 8 layers is GPTQ's");
        }
        CliRun eval = CliRun.of("eval", "--model", gptq.toString(), "--text", SharedData.calibrationText().toString(), "--ctx", "64", "--chunks", "2", "--json");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("ppl"), eval.out());
    }

    @Test
    void refusesWhatCannotWork(@TempDir Path dir) {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        CliRun r = CliRun.of(args(dir.resolve("b.gguf"), "--method", "gptq", "--act-order"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("act-order"), r.err());
        assertFalse(Files.exists(dir.resolve("b.gguf")));
    }
}
