package dev.calq.gptq.sensitivity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.gptq.ColdJvm;
import dev.calq.gptq.HessianObserver;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The measurement gives the same bits however far the JIT has got. Before C2 compiles a method the Vector API runs
 * its Java fallback, so an operation whose compiled form rounds differently (lanewise(EXP) in the log-sum-exp once
 * made the attn_q gains, the first KL measured, differ in the 6th digit from run to run) shows up as a difference
 * between a JVM that never reaches C2 and one that is warm. The child JVM also runs on one thread, the parent on all.
 */
class ReproducibleMeasurementTest {
    private static final int CTX = 32, CHUNKS = 3;
    /** Enough for C2 to compile the log-sum-exp here: before the fix the 23rd run differed from the first. */
    private static final int WARM_RUNS = 40;

    @Test
    void aJvmThatNeverCompilesWithC2MeasuresTheSameBitsAsAWarmOne(@TempDir Path dir) throws Exception {
        // Repeated, the measurement is the same in this JVM, and by the last runs C2 has compiled its hot loops
        String first = fingerprint(), warm = first;
        for (int i = 0; i < WARM_RUNS; i++) {
            warm = fingerprint();
            assertEquals(first, warm, "run " + (i + 2) + " in this JVM");
        }

        String cold = ColdJvm.run(Fingerprint.class, dir);
        assertEquals(warm, cold, "C1 only, one thread, against C2, all threads");
    }

    /** Every measured KL, gain and predicted KL of the whole measurement on a random model, as exact bits. */
    static String fingerprint() {
        LlamaModel m = TinyLlama.model(11, false);
        int[] tokens = TinyLlama.tokens(12, CHUNKS * CTX);
        HessianObserver h = new HessianObserver();
        long[] counts = TinyLlama.calibrate(m, tokens, CTX, CHUNKS, h);
        KlProbe probe = KlProbe.record(m, tokens, 1, CTX, 2, SensitivityMeasurement.gainLayers(TinyLlama.LAYERS));
        SensitivityTable table = SensitivityMeasurement.measure(m, h, null, List.of(GgmlType.Q4_0, GgmlType.Q8_0), GgmlType.Q4_0, probe,
                counts, 8, new PrintStream(OutputStream.nullOutputStream()));
        StringBuilder s = new StringBuilder();
        for (GainPoint g : table.gainPoints())
            s.append(g.name()).append(' ').append(Double.toHexString(g.measuredKl())).append(' ').append(Double.toHexString(g.gain())).append('\n');
        for (TensorSensitivity t : table.tensors())
            for (TypeCost c : t.costs()) s.append(t.name()).append(' ').append(c.type()).append(' ').append(Double.toHexString(c.predictedKl())).append('\n');
        return s.toString().strip();
    }

    /** The child JVM's side. */
    public static final class Fingerprint {
        public static void main(String[] args) {
            System.out.println(fingerprint());
        }
    }
}
