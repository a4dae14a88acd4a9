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
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AWQ over a tiny Llama folder through the calibration runner, written in both formats and loaded back. */
class AwqModelQuantizerTest {
    private static final int HIDDEN = 32, INTER = 64, LAYERS = 2, VOCAB = 64;
    private static final GridConfig CFG = GridConfig.defaults().withGroupSize(16).withSym(false);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir Path tmp;

    private static final TinyLlamaFolder SHAPE = new TinyLlamaFolder(HIDDEN, 4, 2, 8, INTER, LAYERS, VOCAB);

    private Path tinyLlama() throws Exception { return SHAPE.write(tmp.resolve("tiny"), 91); }

    private static List<int[]> samples(int n, int len, long seed) { return SHAPE.samples(n, len, seed); }

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
