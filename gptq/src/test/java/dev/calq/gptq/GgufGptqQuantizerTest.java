package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.BlockGrid;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.util.EnumSet;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GgufGptqQuantizerTest {
    static final int OUT = 12;
    static final int IN = 512;
    private static final GptqConfig CFG = GptqConfig.defaults();

    static final float[] W;
    static final double[] H;

    static {
        Random rnd = new Random(21);
        W = TestData.gaussian(rnd, OUT * IN, 0.05);
        H = TestData.hessian(TestData.correlated(rnd, 700, IN), 700, IN);
    }

    /** tr(dW H dW^T) in double. */
    static double hessianError(float[] w, float[] q, int out, int in, double[] h) {
        double s = 0;
        double[] d = new double[in];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) d[c] = (double) w[r * in + c] - q[r * in + c];
            for (int i = 0; i < in; i++) {
                double t = 0;
                for (int j = 0; j < in; j++) t += h[i * in + j] * d[j];
                s += d[i] * t;
            }
        }
        return s;
    }

    private static float[] plain(GgmlType t, float[] w, int out, int in, float[] importance) {
        return Quantizers.dequantize(t, Quantizers.quantize(t, w, out, in, importance), out, in);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void beatsThePlainImatrixQuantizationAndDecodesToItsResult(GgmlType t) {
        float[] imp = GgufGptqQuantizer.diagonal(H, IN);
        InverseHessian inv = InverseHessian.prepare("h", H, IN, CFG);
        GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", W, OUT, IN, inv, imp, t);
        assertEquals(OUT * t.rowBytes(IN), r.bytes().length);
        assertArrayEquals(r.dequantized(), Quantizers.dequantize(t, r.bytes(), OUT, IN), 0f, t + ": bytes decode to the loop's values (zero of either sign)");
        double gptq = hessianError(W, r.dequantized(), OUT, IN, H);
        double base = hessianError(W, plain(t, W, OUT, IN, imp), OUT, IN, H);
        assertTrue(gptq < 0.9 * base, t + ": GPTQ " + gptq + " vs imatrix quantization " + base);
    }

    /** Without correlations (H = I) there is no feedback: scales chosen block by block, nearest levels; the K-types' encoders do exactly that. */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void identityHessianIsTheTypesOwnRoundingOrBetter(GgmlType t) {
        double[] id = TestData.identity(IN);
        float[] ones = GgufGptqQuantizer.diagonal(id, IN);
        GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", W, OUT, IN, InverseHessian.prepare("h", id, IN, CFG), ones, t);
        byte[] expected = Quantizers.quantize(t, W, OUT, IN, ones);
        if (EnumSet.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K).contains(t)) {
            assertArrayEquals(expected, r.bytes(), t.toString());
        } else {
            double gptq = hessianError(W, r.dequantized(), OUT, IN, id);
            double base = hessianError(W, Quantizers.dequantize(t, expected, OUT, IN), OUT, IN, id);
            assertTrue(gptq <= base * (1 + 1e-6), t + ": " + gptq + " vs " + base);
        }
    }

    /** A tiny case against a plain double-precision loop: explicit H^-1, its Cholesky factor, every update at once. */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_K", "IQ4_NL"})
    void matchesAPlainReferenceLoop(GgmlType t) {
        int out = 3, in = t.blockSize() == 256 ? 512 : 96;
        Random rnd = new Random(31);
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        double[] h = TestData.hessian(TestData.correlated(rnd, 400, in), 400, in);
        float[] imp = GgufGptqQuantizer.diagonal(h, in);
        GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", w, out, in, InverseHessian.prepare("h", h, in, CFG), imp, t);
        float[] ref = reference(t, w, out, in, h, imp);
        int same = 0;
        for (int i = 0; i < ref.length; i++) if (ref[i] == r.dequantized()[i]) same++;
        assertTrue(same >= 0.97 * ref.length, t + ": " + same + " of " + ref.length + " values as the reference");
        double a = hessianError(w, r.dequantized(), out, in, h), b = hessianError(w, ref, out, in, h);
        assertEquals(b, a, 0.03 * b, t.toString());
    }

    private static float[] reference(GgmlType t, float[] w0, int out, int in, double[] h, float[] imp) {
        double mean = 0;
        for (int i = 0; i < in; i++) mean += h[i * in + i];
        double[] a = h.clone();
        for (int i = 0; i < in; i++) a[i * in + i] += 0.01 * mean / in;
        double[] inv = invert(a, in);
        double[] u = upperCholesky(inv, in); // inv = U^T U
        BlockGrid g = Quantizers.blockGrid(t);
        int bs = t.blockSize();
        float[] vals = g.levelValues();
        float[] q = new float[out * in];
        float[] step = new float[bs], offset = new float[bs];
        byte[] block = new byte[t.typeSize()];
        for (int r = 0; r < out; r++) {
            float[] row = new float[in];
            System.arraycopy(w0, r * in, row, 0, in);
            for (int c = 0; c < in; c++) {
                if (c % bs == 0) {
                    g.chooseScales(row, 0, in, imp, c / bs, block, 0);
                    g.grid(block, 0, step, offset);
                }
                int k = g.nearestLevel(row[c], step[c % bs], offset[c % bs]);
                q[r * in + c] = step[c % bs] * vals[k] + offset[c % bs];
                double e = (row[c] - q[r * in + c]) / u[c * in + c];
                for (int j = c + 1; j < in; j++) row[j] -= (float) (e * u[c * in + j]);
            }
        }
        return q;
    }

    static double[] invert(double[] a0, int n) {
        double[] a = a0.clone(), b = TestData.identity(n);
        for (int p = 0; p < n; p++) {
            double d = a[p * n + p];
            for (int j = 0; j < n; j++) {
                a[p * n + j] /= d;
                b[p * n + j] /= d;
            }
            for (int i = 0; i < n; i++) {
                if (i == p) continue;
                double f = a[i * n + p];
                for (int j = 0; j < n; j++) {
                    a[i * n + j] -= f * a[p * n + j];
                    b[i * n + j] -= f * b[p * n + j];
                }
            }
        }
        return b;
    }

    /** U upper triangular with a = U^T U. */
    static double[] upperCholesky(double[] a, int n) {
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) {
            double s = a[i * n + i];
            for (int k = 0; k < i; k++) s -= u[k * n + i] * u[k * n + i];
            u[i * n + i] = Math.sqrt(s);
            for (int j = i + 1; j < n; j++) {
                double t = a[i * n + j];
                for (int k = 0; k < i; k++) t -= u[k * n + i] * u[k * n + j];
                u[i * n + j] = t / u[i * n + i];
            }
        }
        return u;
    }

    @Test
    void refusesActOrderAndRaggedRows() {
        InverseHessian ordered = InverseHessian.prepare("h", H, IN, CFG.withActOrder(true));
        float[] imp = GgufGptqQuantizer.diagonal(H, IN);
        CalqException e = assertThrows(CalqException.class, () -> GgufGptqQuantizer.quantize("blk.0.attn_q.weight", W, OUT, IN, ordered, imp, GgmlType.Q4_K));
        assertTrue(e.getMessage().contains("act-order"), e.getMessage());
        InverseHessian small = InverseHessian.prepare("h", TestData.identity(48), 48, CFG);
        float[] w = new float[2 * 48];
        e = assertThrows(CalqException.class, () -> GgufGptqQuantizer.quantize("x", w, 2, 48, small, null, GgmlType.Q4_0));
        assertTrue(e.getMessage().contains("multiple of"), e.getMessage());
        e = assertThrows(CalqException.class, () -> GgufGptqQuantizer.quantize("x", W, OUT, IN, InverseHessian.prepare("h", H, IN, CFG), imp, GgmlType.F16));
        assertTrue(e.getMessage().contains("f16"), e.getMessage());
    }
}
