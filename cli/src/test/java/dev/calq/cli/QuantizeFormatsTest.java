package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize --format compressed-tensors / --checkpoint-format gptq_v2 and repack, end to end. */
class QuantizeFormatsTest {
    @TempDir Path dir;

    @Test
    void badLayoutChoicesAreOneLineErrors() {
        CliRun r = CliRun.of("quantize", "--model", dir.toString(), "--output", dir.resolve("o").toString(), "--checkpoint-format", "gptq_v3");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("gptq_v3") && r.err().strip().lines().count() == 1, r.err());
        r = CliRun.of("quantize", "--model", dir.toString(), "--output", dir.resolve("o").toString(), "--format", "compressed-tensors",
                "--checkpoint-format", "gptq_v2");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("applies to --format gptq"), r.err());
        r = CliRun.of("quantize", "--model", dir.toString(), "--output", dir.resolve("o").toString(), "--format", "nf4", "--group-size", "128");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--group-size does not apply to --format nf4"), r.err());
        r = CliRun.of("quantize", "--model", dir.toString(), "--output", dir.resolve("o").toString(), "--bnb-type", "fp4");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--bnb-type applies to --format nf4 only"), r.err());
        r = CliRun.of("repack", "--model", dir.toString(), "--output", dir.resolve("o").toString(), "--format", "awq");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not a layout repack writes"), r.err());
        assertFalse(Files.exists(dir.resolve("o")));
    }

    @Test
    void compressedTensorsFromTheSharedModelLoadsAndRepacksToTheSameWeights() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path ct = dir.resolve("ct"), v2 = dir.resolve("v2");
        CliRun r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--output", ct.toString(), "--method", "rtn",
                "--format", "compressed-tensors", "--group-size", "64", "--no-sym");
        assertEquals(0, r.code(), r.err());
        r = CliRun.of("inspect", ct.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("quantized: compressed-tensors, format pack-quantized") && r.out().contains("num_bits 4, group_size 64, strategy group, symmetric false"), r.out());
        r = CliRun.of("repack", "--model", ct.toString(), "--format", "gptq", "--checkpoint-format", "gptq_v2", "--output", v2.toString());
        assertEquals(0, r.code(), r.err());
        String w = "model.layers.3.mlp.down_proj.weight";
        try (LoadedModel a = ModelLoader.load(ct); LoadedModel b = ModelLoader.load(v2)) {
            assertEquals("compressed-tensors", a.format());
            assertEquals("gptq", b.format());
            assertArrayEquals(a.weights().get(w).toFloatArray(), b.weights().get(w).toFloatArray());
            assertEquals(a.weights().names(), b.weights().names());
            var cfg = ((dev.calq.formats.compressed.CompressedTensorsCheckpoint) a.weights()).config();
            assertEquals(java.util.List.of("lm_head"), cfg.ignore());
            assertFalse(cfg.sym());
            assertEquals(64, cfg.groupSize());
        }
    }

    @Test
    void nf4FromTheSharedModelLoadsAsBitsandbytesDequantizesIt() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("nf4");
        CliRun r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--output", out.toString(), "--method", "rtn", "--format", "nf4");
        assertEquals(0, r.code(), r.err());
        String w = "model.layers.2.self_attn.o_proj.weight";
        try (LoadedModel q = ModelLoader.load(out); LoadedModel base = ModelLoader.load(SharedData.tinyLlama())) {
            assertEquals("bitsandbytes", q.format());
            float[] a = q.weights().get(w).toFloatArray(), b = base.weights().get(w).toFloatArray();
            double err = 0, norm = 0;
            for (int i = 0; i < a.length; i++) {
                err += (a[i] - b[i]) * (double) (a[i] - b[i]);
                norm += (double) b[i] * b[i];
            }
            assertTrue(Math.sqrt(err / norm) < 0.12, "NF4 relative error " + Math.sqrt(err / norm));
            assertArrayEquals(base.weights().get("lm_head.weight").toFloatArray(), q.weights().get("lm_head.weight").toFloatArray());
        }
        r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--output", dir.resolve("x").toString(), "--format", "nf4", "--bnb-type", "int4");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--format nf4 is written from --method rtn") || r.err().contains("int4"), r.err());
    }
}
