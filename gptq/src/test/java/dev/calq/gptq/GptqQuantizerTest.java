package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.quant.QuantGrid;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.CalqException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import dev.calq.calibration.quant.Rtn;

class GptqQuantizerTest {

    static List<GptqConfig> configs() {
        List<GptqConfig> list = new ArrayList<>();
        GptqConfig base = GptqConfig.defaults().withBlockSize(24);
        for (int bits : new int[] {2, 3, 4, 8})
            for (int gs : new int[] {-1, 16, 32})
                for (boolean sym : new boolean[] {true, false}) list.add(base.withBits(bits).withGroupSize(gs).withSym(sym));
        list.add(base.withActOrder(true).withGroupSize(16));
        list.add(base.withActOrder(true).withStaticGroups(true).withGroupSize(16));
        list.add(base.withMseClip(true).withSym(false).withBits(3).withGroupSize(32));
        return list;
    }

    @Test
    void identityHessianGivesExactlyRtn() {
        Random rnd = new Random(5);
        int out = 19, in = 96;
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        for (GptqConfig cfg : configs()) {
            QuantizedLinear g = GptqQuantizer.quantize(w, out, in, TestData.identity(in), cfg);
            QuantizedLinear r = Rtn.quantize(w, out, in, cfg.grid());
            assertArrayEquals(r.codes(), g.codes(), cfg.toString());
            assertArrayEquals(r.scales(), g.scales(), cfg.toString());
            assertArrayEquals(r.zeros(), g.zeros(), cfg.toString());
            assertArrayEquals(r.gIdx(), g.gIdx(), cfg.toString());
        }
    }

    @Test
    void weightsAlreadyOnAnAsymmetricGridAreQuantizedLosslessly() {
        Random rnd = new Random(6);
        int out = 11, in = 64, gs = 16, bits = 4, maxq = 15;
        float[] w = new float[out * in];
        for (int r = 0; r < out; r++)
            for (int g = 0; g < in / gs; g++) {
                float s = QuantGrid.toHalf((float) (0.01 + 0.05 * rnd.nextDouble()));
                int z = rnd.nextInt(maxq + 1);
                for (int c = g * gs; c < (g + 1) * gs; c++) w[r * in + c] = s * (rnd.nextInt(maxq + 1) - z);
                // Every group reaches both ends of the grid, so min/max reproduce (s, z).
                w[r * in + g * gs] = s * (0 - z);
                w[r * in + g * gs + 1] = s * (maxq - z);
            }
        double[] h = TestData.hessian(TestData.correlated(rnd, 200, in), 200, in);
        GptqConfig cfg = GptqConfig.defaults().withBits(bits).withGroupSize(gs).withSym(false).withBlockSize(24);
        for (GptqConfig c : List.of(cfg, cfg.withActOrder(true).withStaticGroups(true))) {
            assertArrayEquals(w, GptqQuantizer.quantize(w, out, in, h, c).dequantize(), c.toString());
            assertArrayEquals(w, Rtn.quantize(w, out, in, c.grid()).dequantize(), c.toString());
        }
    }

    @Test
    void gptqHasLowerOutputErrorThanRtnOnCorrelatedData() {
        Random rnd = new Random(7);
        int out = 48, in = 128, tokens = 600;
        float[] x = TestData.correlated(rnd, tokens, in);
        HessianObserver obs = new HessianObserver();
        obs.observe(0, InputSite.ATTN_IN, x, tokens, in);
        double[] h = obs.hessian(0, InputSite.ATTN_IN);
        float[] w = TestData.gaussian(rnd, out * in, 0.02);
        for (GptqConfig cfg : List.of(GptqConfig.defaults().withGroupSize(32).withBlockSize(48),
                GptqConfig.defaults().withBits(3).withGroupSize(-1).withSym(false),
                GptqConfig.defaults().withGroupSize(32).withActOrder(true),
                GptqConfig.defaults().withBits(2).withGroupSize(64).withActOrder(true).withStaticGroups(true))) {
            float[] g = GptqQuantizer.quantize(w, out, in, h, cfg).dequantize();
            float[] r = Rtn.quantize(w, out, in, cfg.grid()).dequantize();
            double eg = TestData.outputError(w, g, out, in, x, tokens), er = TestData.outputError(w, r, out, in, x, tokens);
            assertTrue(eg < 0.8 * er, cfg + ": gptq " + eg + " rtn " + er);
            // The Hessian form of the relative error equals the direct one.
            double den = TestData.outputError(w, new float[w.length], out, in, x, tokens);
            assertEquals(eg / den, OutputError.relativeOutputError(w, g, out, in, h), 1e-3 * eg / den);
        }
    }

    @Test
    void gptqAlsoBeatsRtnOnHeldOutActivationsOfTheSameDistribution() {
        Random rnd = new Random(12);
        int out = 32, in = 96, tokens = 1000;
        float[] calib = TestData.correlated(new Random(99), rnd, tokens, in);
        float[] heldOut = TestData.correlated(new Random(99), rnd, tokens, in);
        double[] h = TestData.hessian(calib, tokens, in);
        float[] w = TestData.gaussian(rnd, out * in, 0.02);
        GptqConfig cfg = GptqConfig.defaults().withGroupSize(32).withActOrder(true);
        float[] g = GptqQuantizer.quantize(w, out, in, h, cfg).dequantize();
        float[] r = Rtn.quantize(w, out, in, cfg.grid()).dequantize();
        double eg = TestData.outputError(w, g, out, in, heldOut, tokens), er = TestData.outputError(w, r, out, in, heldOut, tokens);
        assertTrue(eg < 0.8 * er, "held out: gptq " + eg + " rtn " + er);
    }

    @Test
    void matchesAPlainColumnByColumnDoubleImplementation() {
        // The reference algorithm without blocks or lazy updates; codes may differ only where float32 rounding
        // puts a value on a rounding boundary.
        Random rnd = new Random(8);
        int out = 13, in = 80, gs = 16;
        float[] x = TestData.correlated(rnd, 300, in);
        double[] h = TestData.hessian(x, 300, in);
        float[] w = TestData.gaussian(rnd, out * in, 0.03);
        GptqConfig cfg = GptqConfig.defaults().withGroupSize(gs).withBlockSize(32).withSym(false);
        InverseHessian inv = InverseHessian.prepare("t", h, in, cfg);
        QuantizedLinear q = GptqQuantizer.quantize("t", w, out, in, inv, cfg).quantized();
        double[] u = new double[in * in];
        for (int i = 0; i < u.length; i++) u[i] = inv.upper()[i];
        double[] W = new double[out * in];
        for (int i = 0; i < W.length; i++) W[i] = w[i];
        double[] ws = W.clone(); // the weight as seen at block starts, for group parameters
        int mismatches = 0;
        QuantGrid grid = cfg.grid().grid();
        for (int c = 0; c < in; c++) {
            if (c % cfg.blockSize() == 0) ws = W.clone();
            for (int r = 0; r < out; r++) {
                int g = c / gs;
                float[] groupVals = new float[gs];
                for (int k = 0; k < gs; k++) groupVals[k] = (float) ws[r * in + g * gs + k];
                long p = grid.findRow(groupVals, 0, gs);
                if (p != ((long) Float.floatToRawIntBits(q.scales()[g * out + r]) << 32 | (q.zeros()[g * out + r] & 0xffffffffL)))
                    mismatches++;
                int code = QuantGrid.code((float) W[r * in + c], QuantGrid.scaleOf(p), QuantGrid.zeroOf(p), 15);
                if (code != q.code(r * in + c)) mismatches++;
                double e = (W[r * in + c] - QuantGrid.dequantize(code, QuantGrid.scaleOf(p), QuantGrid.zeroOf(p))) / u[c * in + c];
                for (int j = c; j < in; j++) W[r * in + j] -= e * u[c * in + j];
            }
        }
        assertTrue(mismatches <= out * in / 200, "mismatches " + mismatches);
    }

    @Test
    void actOrderQuantizesByDecreasingDiagonalAndGIdxNamesEachColumnsGroup() {
        Random rnd = new Random(9);
        int out = 7, in = 64, gs = 16;
        double[] h = new double[in * in];
        for (int i = 0; i < in; i++) h[i * in + i] = 0.5 + rnd.nextDouble(); // diagonal: no error propagation
        float[] w = TestData.gaussian(rnd, out * in, 0.1);
        GptqConfig cfg = GptqConfig.defaults().withGroupSize(gs).withActOrder(true).withSym(false);
        QuantizedLinear q = GptqQuantizer.quantize(w, out, in, h, cfg);
        InverseHessian inv = InverseHessian.prepare("t", h, in, cfg);
        int[] perm = inv.perm();
        for (int p = 0; p < in; p++) assertEquals(p / gs, q.gIdx()[perm[p]]);
        int[] count = new int[in / gs];
        for (int g : q.gIdx()) count[g]++;
        for (int c : count) assertEquals(gs, c);
        // With a diagonal H GPTQ is RTN over the permuted groups: each group's scale comes from its own columns.
        QuantGrid grid = cfg.grid().grid();
        for (int g = 0; g < in / gs; g++)
            for (int r = 0; r < out; r++) {
                float[] vals = new float[gs];
                int k = 0;
                for (int c = 0; c < in; c++) if (q.gIdx()[c] == g) vals[k++] = w[r * in + c];
                long p = grid.findRow(vals, 0, gs);
                assertEquals(QuantGrid.scaleOf(p), q.scales()[g * out + r]);
                assertEquals(QuantGrid.zeroOf(p), q.zeros()[g * out + r]);
                for (int c = 0; c < in; c++)
                    if (q.gIdx()[c] == g) assertEquals(QuantGrid.code(w[r * in + c], QuantGrid.scaleOf(p), QuantGrid.zeroOf(p), 15), q.code(r * in + c));
            }
        // Static groups keep the natural grouping.
        QuantizedLinear s = GptqQuantizer.quantize(w, out, in, h, cfg.withStaticGroups(true));
        for (int c = 0; c < in; c++) assertEquals(c / gs, s.gIdx()[c]);
    }

    @Test
    void deadInputChannelsAreZeroedAndDoNotBreakTheFactorisation() {
        Random rnd = new Random(10);
        int out = 9, in = 32;
        float[] x = TestData.correlated(rnd, 100, in);
        for (int t = 0; t < 100; t++) { x[t * in + 3] = 0; x[t * in + 20] = 0; }
        double[] h = TestData.hessian(x, 100, in);
        float[] w = TestData.gaussian(rnd, out * in, 0.1);
        for (boolean act : new boolean[] {false, true}) {
            GptqConfig cfg = GptqConfig.defaults().withGroupSize(16).withActOrder(act).withSym(false);
            InverseHessian inv = InverseHessian.prepare("t", h, in, cfg);
            assertTrue(inv.dead()[3] && inv.dead()[20] && !inv.dead()[4]);
            assertEquals(0, inv.retries());
            float[] q = GptqQuantizer.quantize(w, out, in, h, cfg).dequantize();
            for (int r = 0; r < out; r++) {
                assertEquals(0f, q[r * in + 3]);
                assertEquals(0f, q[r * in + 20]);
            }
            for (float v : q) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void indefiniteHessianIsRetriedWithMoreDamping() {
        double[] h = {1, 1.05, 1.05, 1}; // eigenvalues 2.05 and -0.05
        InverseHessian inv = InverseHessian.prepare("layer 0 ATTN_IN", h, 2, GptqConfig.defaults().withGroupSize(-1));
        assertEquals(1, inv.retries());
        assertEquals(0.1, inv.dampUsed(), 1e-12);
        QuantizedLinear q = GptqQuantizer.quantize(new float[] {0.5f, -0.25f, 1f, 0f}, 2, 2, h, GptqConfig.defaults().withGroupSize(-1));
        assertEquals(4, q.codes().length);
    }

    @Test
    void hessianThatStaysIndefiniteGivesAClearError() {
        double[] h = {1, 30, 30, 1};
        CalqException e = assertThrows(CalqException.class,
                () -> InverseHessian.prepare("layer 4 MLP_OUT", h, 2, GptqConfig.defaults()));
        assertTrue(e.getMessage().startsWith("layer 4 MLP_OUT: the Hessian is not positive definite even with damp 10"), e.getMessage());
    }

    @Test
    void badInputGivesClearErrors() {
        float[] w = new float[4 * 48];
        CalqException e = assertThrows(CalqException.class,
                () -> GptqQuantizer.quantize("model.layers.0.mlp.up_proj.weight", w, 4, 48, InverseHessian.prepare("h", TestData.identity(48), 48, GptqConfig.defaults()), GptqConfig.defaults()));
        assertTrue(e.getMessage().contains("up_proj.weight: input dimension 48 is not divisible by the group size 128"), e.getMessage());
        assertThrows(CalqException.class, () -> Rtn.quantize(w, 4, 48, GptqConfig.defaults().grid()));

        float[] bad = new float[4 * 32];
        bad[37] = Float.NaN;
        e = assertThrows(CalqException.class, () -> Rtn.quantize("q", bad, 4, 32, GptqConfig.defaults().withGroupSize(32).grid()));
        assertTrue(e.getMessage().contains("q: weight is NaN at row 1, column 5"), e.getMessage());
        bad[37] = Float.POSITIVE_INFINITY;
        assertThrows(CalqException.class, () -> GptqQuantizer.quantize(bad, 4, 32, TestData.identity(32), GptqConfig.defaults().withGroupSize(32)));

        HessianObserver obs = new HessianObserver();
        float[] x = new float[3 * 5];
        x[7] = Float.NEGATIVE_INFINITY;
        e = assertThrows(CalqException.class, () -> obs.observe(1, InputSite.ATTN_OUT, x, 3, 5));
        assertTrue(e.getMessage().startsWith("layer 1 ATTN_OUT: non-finite activation -Infinity at token 1, channel 2"), e.getMessage());
        double[] hn = TestData.identity(3);
        hn[4] = Double.NaN;
        assertThrows(CalqException.class, () -> InverseHessian.prepare("h", hn, 3, GptqConfig.defaults()));
        // The scan runs over rows in parallel; the message still names the first bad entry in row-major order.
        int wide = 300;
        double[] hw = TestData.identity(wide);
        hw[250 * wide + 3] = Double.POSITIVE_INFINITY;
        hw[100 * wide + 7] = Double.NaN;
        hw[100 * wide + 9] = Double.NaN;
        e = assertThrows(CalqException.class, () -> InverseHessian.prepare("h", hw, wide, GptqConfig.defaults()));
        assertTrue(e.getMessage().contains("non-finite entry at (100, 7)"), e.getMessage());
        e = assertThrows(CalqException.class, () -> new HessianObserver().hessian(0, InputSite.MLP_OUT));
        assertTrue(e.getMessage().contains("no calibration input"), e.getMessage());
    }

    @Test
    void gptqOptionsAreCheckedApartFromTheGrid() {
        assertThrows(CalqException.class, () -> GptqConfig.defaults().withDamp(Double.NaN));
        assertThrows(CalqException.class, () -> GptqConfig.defaults().withDamp(-0.1));
        assertThrows(CalqException.class, () -> GptqConfig.defaults().withBlockSize(0));
        GptqConfig c = GptqConfig.defaults().withBits(3).withGroupSize(64).withActOrder(true).withTrueSequential(false);
        assertEquals(3, c.grid().bits());
        assertEquals(64, c.checkpointConfig().groupSize());
        assertTrue(c.checkpointConfig().descAct());
        assertFalse(c.checkpointConfig().trueSequential());
    }
}
