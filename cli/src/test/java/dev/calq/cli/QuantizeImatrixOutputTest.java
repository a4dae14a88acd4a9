package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.SharedData;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GPTQ run gathers an importance matrix on the way (skipped without ../shared). */
class QuantizeImatrixOutputTest {
    @Test
    void gptqRunWritesAnImportanceMatrixOfItsCalibrationActivations(@TempDir Path dir) {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("q"), im = dir.resolve("run.imatrix");
        int rc = Main.commandLine().execute("quantize", "--model", SharedData.tinyLlama().toString(), "--calibration",
                SharedData.calibrationText().toString(), "--nsamples", "2", "--seqlen", "64", "--no-true-sequential",
                "--output", out.toString(), "--imatrix-output", im.toString());
        assertEquals(0, rc);
        assertTrue(Files.isDirectory(out));
        ImportanceMatrix m = ImportanceMatrix.read(im);
        assertEquals(8 * 7, m.entries().size(), "every projection of the 8 layers");
        assertEquals(2, m.chunkCount());
        assertEquals(64, m.chunkSize());
        ImportanceMatrix.Entry q = m.entries().get("blk.3.attn_q.weight");
        assertEquals(128f, q.counts()[0], "2 samples x 64 tokens");
        float[] imp = m.importance("blk.3.attn_q.weight");
        assertEquals(512, imp.length);
        for (float v : imp) assertTrue(v > 0 && Float.isFinite(v));
        assertArrayEquals(m.importance("blk.3.attn_q.weight"), m.importance("blk.3.attn_v.weight"), "q and v read the same input");
    }
}
