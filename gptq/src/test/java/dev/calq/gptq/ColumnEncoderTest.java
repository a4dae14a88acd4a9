package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.quant.GridColumnEncoder;
import dev.calq.formats.quantized.ColumnEncoder;
import dev.calq.formats.quantized.QuantizedLinear;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** GPTQ's column loop keeps the {@link ColumnEncoder} contract that a ggml block type relies on. */
class ColumnEncoderTest {
    /** Rounds to multiples of a per-row step fixed at each block start from the row's max |w| there. */
    private static final class Recording implements ColumnEncoder<float[]> {
        final int out, in, block;
        final List<Integer> starts = new ArrayList<>();
        final List<float[]> seen = new ArrayList<>();
        final float[] step, result;

        Recording(int out, int in, int block) {
            this.out = out;
            this.in = in;
            this.block = block;
            this.step = new float[out * (in / block)];
            this.result = new float[out * in];
        }

        @Override public int blockColumns() { return block; }

        @Override public void chooseScales(float[] w, int stride, int start) {
            assertEquals(in, stride);
            starts.add(start);
            seen.add(w.clone());
            for (int r = 0; r < out; r++) {
                float max = 0;
                for (int c = start; c < start + block; c++) max = Math.max(max, Math.abs(w[r * in + c]));
                step[r * (in / block) + start / block] = max == 0 ? 1 : max / 3;
            }
        }

        @Override public float round(int row, int position, float x) {
            float s = step[row * (in / block) + position / block];
            float q = (float) Math.rint(x / s) * s;
            result[row * in + position] = q;
            return q;
        }

        @Override public float[] finish() { return result; }
    }

    @Test
    void scalesAreChosenAtEachBlockStartFromTheWeightsAsUpdatedByEarlierBatches() {
        int out = 5, in = 48, bs = 16, block = 8;
        Random rnd = new Random(3);
        float[] w = TestData.gaussian(rnd, out * in, 1);
        float[] x = TestData.correlated(rnd, 200, in);
        InverseHessian inv = InverseHessian.prepare("h", TestData.hessian(x, 200, in), in, GptqConfig.defaults());
        Recording enc = new Recording(out, in, block);
        double loss = GptqQuantizer.quantize(w, out, in, inv, bs, enc);
        assertEquals(List.of(0, 8, 16, 24, 32, 40), enc.starts);
        // Within one lazy batch both blocks see the same working weights; the next batch sees them changed.
        assertArrayEquals(enc.seen.get(0), enc.seen.get(1));
        assertArrayEquals(enc.seen.get(2), enc.seen.get(3));
        assertFalse(java.util.Arrays.equals(enc.seen.get(1), enc.seen.get(2)), "batch 2 starts from error-updated weights");
        // The first batch starts from the original weight (no act-order, nothing dead).
        assertArrayEquals(w, enc.seen.get(0));
        // Columns of the first batch that came before the second batch's start were never updated after the rounding.
        float[] q = enc.finish();
        assertTrue(loss > 0);
        for (int r = 0; r < out; r++) {
            float s = enc.step[r * (in / block)];
            assertEquals(0f, (float) Math.IEEEremainder(q[r * in], s), 1e-5f, "on the block's grid");
        }
    }

    @Test
    void theGridEncoderIsWhatGptqQuantizerUses() {
        int out = 6, in = 64;
        Random rnd = new Random(9);
        float[] w = TestData.gaussian(rnd, out * in, 0.5);
        float[] x = TestData.correlated(rnd, 300, in);
        GptqConfig cfg = GptqConfig.defaults().withGroupSize(16).withBlockSize(32).withSym(false);
        InverseHessian inv = InverseHessian.prepare("h", TestData.hessian(x, 300, in), in, cfg);
        QuantizedLinear direct = GptqQuantizer.quantize("w", w, out, in, inv, cfg).quantized();
        GridColumnEncoder grid = new GridColumnEncoder(cfg.grid(), w, out, in, inv.perm(), inv.dead(), false);
        GptqQuantizer.quantize(w, out, in, inv, cfg.blockSize(), grid);
        QuantizedLinear viaHook = grid.finish();
        assertArrayEquals(direct.codes(), viaHook.codes());
        assertArrayEquals(direct.scales(), viaHook.scales());
        assertArrayEquals(direct.zeros(), viaHook.zeros());
    }

    @Test
    void aBlockThatDoesNotDivideTheRowIsRefused() {
        InverseHessian inv = InverseHessian.prepare("h", TestData.identity(24), 24, GptqConfig.defaults());
        assertThrows(IllegalArgumentException.class, () -> GptqQuantizer.quantize(new float[24], 1, 24, inv, 8, new Recording(1, 24, 16)));
    }
}
