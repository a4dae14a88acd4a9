package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.formats.SharedData;
import dev.calq.formats.bnb.BnbCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize --method awq --format nf4: AWQ's scales folded, then bitsandbytes NF4, read back as its loader does. */
class QuantizeAwqNf4Test {
    @TempDir Path dir;

    @Test
    void awqBeforeNf4WritesABitsandbytesCheckpointWithTheScalesFolded() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path out = dir.resolve("awq-nf4");
        CliRun r = CliRun.of("quantize", "--model", SharedData.tinyLlama().toString(), "--output", out.toString(), "--method", "awq",
                "--format", "nf4", "--calibration", SharedData.calibrationText().toString(), "--nsamples", "2", "--seqlen", "32",
                "--awq-grid", "2", "--no-awq-clip", "--work-dir", dir.resolve("work").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"quant_method\" : \"bitsandbytes\"")
                || Files.readString(out.resolve("config.json")).contains("\"quant_method\": \"bitsandbytes\""));
        String q = "model.layers.0.self_attn.q_proj.weight", norm = "model.layers.0.input_layernorm.weight";
        try (LoadedModel m = ModelLoader.load(out); LoadedModel base = ModelLoader.load(SharedData.tinyLlama())) {
            assertEquals("bitsandbytes", m.format());
            BnbCheckpoint ck = (BnbCheckpoint) m.weights();
            assertEquals(7 * 8, ck.quantizedWeights().size());
            assertEquals("nf4", ck.state(q).type().jsonName());
            assertArrayEquals(base.weights().get("lm_head.weight").toFloatArray(), m.weights().get("lm_head.weight").toFloatArray());
            // The norm gain carries 1/s and q_proj's columns s: their product is the original up to NF4's error.
            float[] n = m.weights().get(norm).toFloatArray(), n0 = base.weights().get(norm).toFloatArray();
            float[] w = m.weights().get(q).toFloatArray(), w0 = base.weights().get(q).toFloatArray();
            assertFalse(java.util.Arrays.equals(n, n0), "AWQ left input_layernorm of layer 0 unscaled");
            int in = n.length;
            double err = 0, norm2 = 0, unfolded = 0;
            for (int i = 0; i < w.length; i++) {
                double a = (double) w[i] * n[i % in], b = (double) w0[i] * n0[i % in];
                err += (a - b) * (a - b);
                norm2 += b * b;
                unfolded += ((double) w[i] * n0[i % in] - b) * ((double) w[i] * n0[i % in] - b);
            }
            assertTrue(Math.sqrt(err / norm2) < 0.12, "folded relative error " + Math.sqrt(err / norm2));
            assertTrue(Math.sqrt(unfolded / norm2) > 1.5 * Math.sqrt(err / norm2), "the scales did not move the weights: unfolded " + Math.sqrt(unfolded / norm2) + ", folded " + Math.sqrt(err / norm2));
        }
        assertFalse(Files.exists(dir.resolve("work")));
    }
}
