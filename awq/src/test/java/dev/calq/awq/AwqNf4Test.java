package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.quant.Rtn;
import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.formats.bnb.Bnb4BitLayer;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.OverlayTensorSource;
import dev.calq.formats.tensor.Tensor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AWQ before bitsandbytes NF4/FP4: the search's quantizer is the 4-bit code table in absmax blocks of 64, the scales
 * fold exactly, the result is on the code table, and it beats plain NF4 on the calibration inputs.
 */
class AwqNf4Test {
    private static final TinyLlamaFolder SHAPE = new TinyLlamaFolder(64, 4, 2, 16, 128, 2, 64);
    private static final GridConfig BLOCKS = new GridConfig(4, Bnb4BitLayer.BLOCK, true, false);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir Path tmp;

    @Test
    void theSearchQuantizerIsBitsandbytesBlockwiseEncoding() {
        Random rnd = new Random(5);
        int rows = 5, cols = 192;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * (i % 37 == 0 ? 4 : 1));
        for (int r = 0; r < 64; r++) w[2 * cols + 64 + r] = 0f; // an all-zero block
        for (Bnb4BitType type : Bnb4BitType.values()) {
            GridQuantizer q = new GridQuantizer(BLOCKS, new CodebookGrid(type.code()));
            float[] got = q.fakeQuantize(w, rows, cols);
            assertArrayEquals(Bnb4BitLayer.quantize(w, rows, cols, type, DType.F32).dequantize(), got, type.name());
            // and against a plain loop: each value is the code point nearest w / absmax, times absmax
            float[] table = type.code();
            for (int i = 0; i < w.length; i++) {
                int b = i / 64;
                double m = 0;
                for (int j = b * 64; j < b * 64 + 64; j++) m = Math.max(m, Math.abs(w[j]));
                double best = Double.POSITIVE_INFINITY, value = 0;
                for (float t : table) {
                    double d = Math.abs((m == 0 ? 0 : w[i] / m) - t);
                    if (d < best) {
                        best = d;
                        value = t * m;
                    }
                }
                assertEquals(value, got[i], 1e-6 * Math.max(m, 1e-30), type + " at " + i);
            }
        }
        GridQuantizer q = new GridQuantizer(BLOCKS, new CodebookGrid(Bnb4BitType.NF4.code()));
        assertThrows(IllegalArgumentException.class, () -> q.fakeQuantize(new float[2 * 96], 2, 96));
    }

    @Test
    void awqOntoNf4FoldsExactlyLandsOnTheCodeAndBeatsPlainNf4() throws Exception {
        Path src = SHAPE.write(tmp.resolve("tiny"), 41);
        List<int[]> calib = SHAPE.samples(4, 32, 42);
        CodebookGrid nf4 = new CodebookGrid(Bnb4BitType.NF4.code());
        try (LoadedModel lm = ModelLoader.load(src)) {
            LlamaModel base = lm.model();
            LlamaModel plain = lm.model();
            for (int l = 0; l < plain.numLayers(); l++)
                for (Projection p : Projection.values())
                    plain.setWeight(l, p, Rtn.quantize(p.weightName(l), plain.weight(l, p), plain.outFeatures(p), plain.inFeatures(p), BLOCKS, nf4).dequantize());
            double plainError = outputError(base, plain, calib);

            // Without clipping the scaled float model (scaled norms, weights times the input scales) is the original.
            LlamaModel unclipped = lm.model();
            AwqModelQuantizer noClip = new AwqModelQuantizer(unclipped, BLOCKS, nf4, AwqConfig.DEFAULT.withClip(false), Long.MAX_VALUE).keepFloatWeights();
            new CalibrationRunner(unclipped, calib, noClip, RunnerOptions.inMemory(QUIET)).run();
            assertTrue(noClip.inputScales().size() >= 2 * 4, "scaled projections: " + noClip.inputScales().keySet());
            OverlayTensorSource folded = new OverlayTensorSource(noClip.withScaledTensors(lm.weights()));
            for (var e : noClip.floatWeights().entrySet())
                folded.replace(Tensor.ofFloats(e.getKey(), e.getValue(), lm.weights().get(e.getKey()).shape()));
            LlamaModel foldedModel = LlamaModel.load(lm.config(), folded, "folded");
            for (int[] s : calib) {
                double d = Fixtures.maxRelDiff(base.forward(s), foldedModel.forward(s));
                assertTrue(d < 1e-4, "folded model differs by " + d);
            }
            assertTrue(outputError(base, unclipped, calib) < plainError,
                    "AWQ (no clip) " + outputError(base, unclipped, calib) + " vs plain NF4 " + plainError);

            LlamaModel clipped = lm.model();
            AwqModelQuantizer awq = new AwqModelQuantizer(clipped, BLOCKS, nf4, AwqConfig.DEFAULT, Long.MAX_VALUE);
            new CalibrationRunner(clipped, calib, awq, RunnerOptions.inMemory(QUIET)).run();
            double awqError = outputError(base, clipped, calib);
            assertTrue(awqError < 0.9 * plainError, "AWQ " + awqError + " vs plain NF4 " + plainError);

            for (var e : awq.quantized().entrySet()) {
                QuantizedLinear q = e.getValue();
                assertArrayEquals(Bnb4BitType.NF4.code(), q.codebook(), e.getKey());
                assertEquals(64, q.groupSize());
                for (int c : q.codes()) assertTrue(c >= 0 && c < 16);
            }
            // --resume: a saved layer comes back with the code table
            Path ckpt = Files.createDirectories(tmp.resolve("l1"));
            awq.saveLayer(1, ckpt);
            AwqModelQuantizer again = new AwqModelQuantizer(lm.model(), BLOCKS, nf4, AwqConfig.DEFAULT, Long.MAX_VALUE);
            again.loadLayer(1, ckpt);
            String down = Projection.DOWN.weightName(1);
            assertArrayEquals(awq.quantized().get(down).dequantize(), again.quantized().get(down).dequantize());
            assertArrayEquals(Bnb4BitType.NF4.code(), again.quantized().get(down).codebook());
        }
    }

    /** Mean squared logit difference over the samples. */
    static double outputError(LlamaModel ref, LlamaModel q, List<int[]> samples) {
        double sum = 0;
        long n = 0;
        for (int[] s : samples) {
            float[] a = ref.forward(s), b = q.forward(s);
            for (int i = 0; i < a.length; i++) {
                double d = (double) a[i] - b[i];
                sum += d * d;
            }
            n += a.length;
        }
        return sum / n;
    }

}
