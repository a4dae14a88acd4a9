package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.formats.tensor.Tensor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AWQ's scales alone (the first half of --method awq+gptq) on a tiny Llama folder. */
class AwqScalingTest {
    private static final int LAYERS = 2;
    private static final TinyLlamaFolder SHAPE = new TinyLlamaFolder(32, 4, 2, 8, 64, LAYERS, 64);
    private static final GridConfig GRID = GridConfig.defaults().withBits(3).withGroupSize(16).withSym(false);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final int[] PROBE = {1, 5, 9, 2, 33, 7};

    @TempDir Path tmp;

    @Test
    void foldsScalesThatKeepTheFloatModelsFunctionAndSurviveSaveAndLoad() throws Exception {
        Path src = SHAPE.write(tmp.resolve("tiny"), 17);
        Path ckpt = Files.createDirectories(tmp.resolve("ckpt"));
        float[] before, after;
        Map<String, Tensor> replaced;
        Map<String, float[]> scales;
        Map<String, float[]> scaledWeights = new java.util.HashMap<>();
        try (LoadedModel lm = ModelLoader.load(src)) {
            LlamaModel model = lm.model();
            before = model.forward(PROBE);
            AwqScaling awq = new AwqScaling(model, GRID, AwqConfig.DEFAULT, Long.MAX_VALUE);
            CalibrationRunner.Result r = new CalibrationRunner(model, SHAPE.samples(3, 16, 18), awq, RunnerOptions.inMemory(QUIET)).run();
            assertEquals(1, r.timings().getFirst().passes(), "one caching pass a layer; the outputs stay valid (the function is unchanged)");
            after = model.forward(PROBE);
            for (int l = 0; l < LAYERS; l++) awq.saveLayer(l, Files.createDirectories(ckpt.resolve("l" + l)));
            for (int l = 0; l < LAYERS; l++)
                for (Projection p : Projection.values()) scaledWeights.put(p.weightName(l), model.layer(l).weights(p).clone());
            replaced = awq.replacedTensors();
            scales = awq.inputScales();
            assertEquals(2 * LAYERS, replaced.size(), "both norms of every layer");
            assertFalse(scales.isEmpty(), "the outlier channel makes some group's scales win");
            assertTrue(awq.report().contains("layer 1:"), awq.report());
            for (ClipSearch.ClipResult c : awq.reports().stream().flatMap(x -> x.clips().stream()).toList()) fail("no clipping: " + c);
        }
        double num = 0, den = 0;
        for (int i = 0; i < before.length; i++) {
            num += (before[i] - after[i]) * (before[i] - after[i]);
            den += before[i] * before[i];
        }
        assertTrue(num / den < 1e-9, "scaled float model computes the original's logits: relative error " + num / den);
        try (LoadedModel lm = ModelLoader.load(src)) {
            LlamaModel model = lm.model();
            AwqScaling again = new AwqScaling(model, GRID, AwqConfig.DEFAULT, Long.MAX_VALUE);
            for (int l = 0; l < LAYERS; l++) again.loadLayer(l, ckpt.resolve("l" + l));
            assertEquals(replaced.keySet(), again.replacedTensors().keySet());
            for (String n : replaced.keySet()) assertArrayEquals(replaced.get(n).toFloatArray(), again.replacedTensors().get(n).toFloatArray(), n);
            assertEquals(scales.keySet(), again.inputScales().keySet());
            for (String n : scales.keySet()) assertArrayEquals(scales.get(n), again.inputScales().get(n), n);
            assertArrayEquals(replaced.get("model.layers.1.input_layernorm.weight").toFloatArray(), model.layer(1).inputNorm().weight(),
                    "the live norm is restored");
            // a projection the next method keeps in float (GPTQ inside GGUF types, a float --tensor-type) is written
            // from the model: after a resume it must hold the scaled weight, bit for bit, not the one on disk
            for (int l = 0; l < LAYERS; l++)
                for (Projection p : Projection.values())
                    assertArrayEquals(scaledWeights.get(p.weightName(l)), model.layer(l).weights(p), p.weightName(l));
            assertArrayEquals(after, model.forward(PROBE), "the resumed model is the scaled one");
        }
    }
}
