package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AWQ over a tiny Llama folder through the calibration runner, written in both formats and loaded back. */
class AwqModelQuantizerTest {
    private static final int HIDDEN = 32, INTER = 64, LAYERS = 2, VOCAB = 64;
    private static final GridConfig CFG = GridConfig.defaults().withGroupSize(16).withSym(false);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir Path tmp;

    private Path tinyLlama() throws Exception {
        Path dir = tmp.resolve("tiny");
        Random rnd = new Random(91);
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            w.add(Tensor.ofFloats("model.embed_tokens.weight", randn(VOCAB * HIDDEN, 1, rnd), VOCAB, HIDDEN));
            w.add(Tensor.ofFloats("lm_head.weight", randn(VOCAB * HIDDEN, 0.2f, rnd), VOCAB, HIDDEN));
            w.add(Tensor.ofFloats("model.norm.weight", gains(rnd), HIDDEN));
            for (int l = 0; l < LAYERS; l++) {
                SyntheticBlock b = new SyntheticBlock(HIDDEN, 4, 2, 8, INTER, false, 92 + l);
                for (Projection p : Projection.values())
                    w.add(Tensor.ofFloats(p.weightName(l), b.weight(p), b.outFeatures(p), b.inFeatures(p)));
                float[] g = gains(rnd);
                g[3] = 6; // an outlier channel, as trained models have
                w.add(Tensor.ofFloats("model.layers." + l + ".input_layernorm.weight", g, HIDDEN));
                w.add(Tensor.ofFloats("model.layers." + l + ".post_attention_layernorm.weight", gains(rnd), HIDDEN));
            }
            w.finish();
        }
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32, "intermediate_size": 64,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
                 "vocab_size": 64, "rms_norm_eps": 1e-5}""");
        return dir;
    }

    private static float[] randn(int n, float sd, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian() * sd;
        return v;
    }

    private static float[] gains(Random rnd) {
        float[] g = new float[HIDDEN];
        for (int i = 0; i < HIDDEN; i++) g[i] = 0.5f + rnd.nextFloat();
        return g;
    }

    private static List<int[]> samples(int n, int len, long seed) {
        Random rnd = new Random(seed);
        List<int[]> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] t = new int[len];
            for (int j = 0; j < len; j++) t[j] = rnd.nextInt(VOCAB);
            s.add(t);
        }
        return s;
    }

    @Test
    void checkpointsInBothFormatsComputeWhatTheQuantizedModelComputes() throws Exception {
        Path src = tinyLlama();
        int[] probe = samples(1, 9, 93).getFirst();
        try (LoadedModel lm = ModelLoader.load(src)) {
            LlamaModel model = lm.model();
            AwqModelQuantizer awq = new AwqModelQuantizer(model, CFG, AwqConfig.DEFAULT, Long.MAX_VALUE);
            new CalibrationRunner(model, samples(3, 16, 94), awq, RunnerOptions.inMemory(QUIET)).run();
            assertEquals(LAYERS, awq.reports().size());
            assertEquals(7 * LAYERS, awq.quantized().size());
            assertTrue(awq.reportTable().contains("layer 1:"));
            float[] expected = model.forward(probe);
            awq.writeAwq(src, lm.weights(), tmp.resolve("awq"), false, SafetensorsWriter.DEFAULT_SHARD_BYTES);
            awq.writeGptq(src, lm.weights(), tmp.resolve("gptq"), false, SafetensorsWriter.DEFAULT_SHARD_BYTES);
            for (String f : List.of("awq", "gptq")) {
                try (LoadedModel back = ModelLoader.load(tmp.resolve(f))) {
                    assertEquals(f, back.format());
                    float[] got = back.model().forward(probe);
                    assertTrue(Fixtures.maxRelDiff(expected, got) < 1e-5, f + ": " + Fixtures.maxRelDiff(expected, got));
                }
            }
            GridConfig sixteenOne = CFG.withGroupSize(-1);
            AwqModelQuantizer perRow = new AwqModelQuantizer(model, sixteenOne, AwqConfig.DEFAULT, Long.MAX_VALUE);
            assertThrows(CalqException.class, () -> perRow.writeAwq(src, lm.weights(), tmp.resolve("x"), false, Long.MAX_VALUE));
        }
    }

    @Test
    void aFinishedLayerSurvivesSaveAndLoad() throws Exception {
        Path src = tinyLlama();
        Path ckpt = Files.createDirectories(tmp.resolve("ckpt"));
        float[] expected;
        List<String> names;
        try (LoadedModel lm = ModelLoader.load(src)) {
            LlamaModel model = lm.model();
            AwqModelQuantizer awq = new AwqModelQuantizer(model, CFG, AwqConfig.DEFAULT.withClip(false), Long.MAX_VALUE);
            new CalibrationRunner(model, samples(2, 12, 95), awq, RunnerOptions.inMemory(QUIET)).run();
            for (int l = 0; l < LAYERS; l++) awq.saveLayer(l, Files.createDirectories(ckpt.resolve("l" + l)));
            expected = model.forward(new int[] {1, 5, 9, 2});
            names = List.copyOf(awq.quantized().keySet());
        }
        try (LoadedModel lm = ModelLoader.load(src)) {
            LlamaModel model = lm.model();
            AwqModelQuantizer again = new AwqModelQuantizer(model, CFG, AwqConfig.DEFAULT, Long.MAX_VALUE);
            for (int l = 0; l < LAYERS; l++) again.loadLayer(l, ckpt.resolve("l" + l));
            assertEquals(names, List.copyOf(again.quantized().keySet()));
            assertArrayEquals(expected, model.forward(new int[] {1, 5, 9, 2}));
        }
    }
}
