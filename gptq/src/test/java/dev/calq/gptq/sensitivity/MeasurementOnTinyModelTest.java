package dev.calq.gptq.sensitivity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.gptq.HessianObserver;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The whole measurement on a random three-layer model: shapes, calibration of the large tensors, row sampling. */
class MeasurementOnTinyModelTest {
    private static final int CTX = 32, CHUNKS = 4;
    private static final List<GgmlType> TYPES = List.of(GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q8_0);

    @Test
    void everyTensorGetsCalibratedCostsAndTheModelIsLeftAsItWas() {
        LlamaModel m = TinyLlama.model(7, false);
        int[] tokens = TinyLlama.tokens(8, CHUNKS * CTX);
        HessianObserver h = new HessianObserver();
        long[] counts = TinyLlama.calibrate(m, tokens, CTX, CHUNKS, h);
        int[] probeWindow = PerplexityMethod.LLAMA.window(tokens, CTX, 0, 1);
        float[] before = m.forward(probeWindow, 0);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        KlProbe probe = KlProbe.record(m, tokens, 1, CTX, 1, SensitivityMeasurement.gainLayers(TinyLlama.LAYERS));
        SensitivityTable all = SensitivityMeasurement.measure(m, h, null, TYPES, GgmlType.Q4_0, probe, counts, 0, quiet);
        SensitivityTable sampled = SensitivityMeasurement.measure(m, h, null, TYPES, GgmlType.Q4_0, probe, counts, 8, quiet);
        assertArrayEquals(before, m.forward(probeWindow, 0), "the model is restored");

        assertEquals(TinyLlama.LAYERS * 7 + 2, all.tensors().size());
        assertEquals(TinyLlama.LAYERS * 7 + 2, all.gainPoints().size(), "3 layers x 7 kinds, and token_embd and output once each");
        for (TensorSensitivity t : all.tensors()) {
            assertEquals(TYPES.size(), t.costs().size(), t.name());
            assertTrue(t.gain() > 0, t.name() + " gain " + t.gain());
            double q4 = t.cost(GgmlType.Q4_0).predictedKl(), q8 = t.cost(GgmlType.Q8_0).predictedKl();
            assertTrue(q8 < q4, t.name() + ": Q8_0 " + q8 + " not below Q4_0 " + q4);
        }
        for (String big : List.of("output.weight", "token_embd.weight")) {
            GainPoint g = all.gainPoints().stream().filter(p -> p.name().equals(big)).findFirst().orElseThrow();
            assertEquals(g.measuredKl(), all.tensor(big).cost(GgmlType.Q4_0).predictedKl(), 1e-12 * g.measuredKl(),
                    big + ": the prediction at the substituted type is the measurement");
        }
        // sampling 8 rows (at least 1/16) of each projection estimates what quantizing every row gives
        for (TensorSensitivity t : all.tensors()) {
            if (t.layer() < 0) continue;
            double exact = t.cost(GgmlType.Q4_0).hessianError(), est = sampled.tensor(t.name()).cost(GgmlType.Q4_0).hessianError();
            assertTrue(Math.abs(est / exact - 1) < 0.5, t.name() + ": " + est + " against " + exact);
        }
    }
}
