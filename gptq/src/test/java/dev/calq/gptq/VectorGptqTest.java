package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.PointGrid;
import dev.calq.formats.gguf.quant.Quantizers;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Vector GPTQ inside the IQ1-IQ3 codebook types ({@link PointColumnEncoder}). */
class VectorGptqTest {
    private static final int OUT = GgufGptqQuantizerTest.OUT;
    private static final int IN = GgufGptqQuantizerTest.IN;
    private static final GptqConfig CFG = GptqConfig.defaults();
    private static final float[] W = GgufGptqQuantizerTest.W;
    private static final double[] H = GgufGptqQuantizerTest.H;

    /** Every IQ type runs GPTQ inside it now (GgufGptqMethod leaves none to the imatrix path); the float types do not. */
    @org.junit.jupiter.api.Test
    void everyQuantizedGgufTypeIsSupported() {
        for (GgmlType t : GgmlType.values()) {
            if (!Quantizers.supports(t)) continue;
            boolean quantized = t != GgmlType.F32 && t != GgmlType.F16 && t != GgmlType.BF16;
            assertEquals(quantized, GgufGptqQuantizer.supports(t), t.toString());
        }
    }

    /** A diagonal Hessian (no correlations) gives no feedback: every block is the type's own importance-weighted encoding. */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void diagonalHessianIsTheTypesOwnQuantizationByteForByte(GgmlType t) {
        Random rnd = new Random(42);
        double[] diag = new double[IN * IN];
        for (int i = 0; i < IN; i++) diag[i * IN + i] = Math.exp(1.5 * rnd.nextGaussian());
        for (double[] h : new double[][] {TestData.identity(IN), diag}) {
            float[] imp = GgufGptqQuantizer.diagonal(h, IN);
            GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", W, OUT, IN, InverseHessian.prepare("h", h, IN, CFG), imp, t);
            assertArrayEquals(Quantizers.quantize(t, W, OUT, IN, imp), r.bytes(), t.toString());
        }
    }

    /** With a correlated Hessian: the blocks decode to the loop's values, and the output error beats the plain quantization. */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void beatsThePlainImatrixQuantizationAndDecodesToItsResult(GgmlType t) {
        float[] imp = GgufGptqQuantizer.diagonal(H, IN);
        GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", W, OUT, IN, InverseHessian.prepare("h", H, IN, CFG), imp, t);
        assertEquals(OUT * t.rowBytes(IN), r.bytes().length);
        float[] decoded = Quantizers.dequantize(t, r.bytes(), OUT, IN);
        for (int i = 0; i < decoded.length; i++)
            assertEquals(Float.floatToIntBits(decoded[i]), Float.floatToIntBits(r.dequantized()[i]), t + ": element " + i + " decodes to the loop's value");
        double gptq = GgufGptqQuantizerTest.hessianError(W, r.dequantized(), OUT, IN, H);
        float[] plain = Quantizers.dequantize(t, Quantizers.quantize(t, W, OUT, IN, imp), OUT, IN);
        double base = GgufGptqQuantizerTest.hessianError(W, plain, OUT, IN, H);
        assertTrue(gptq < 0.8 * base, t + ": vector GPTQ " + gptq + " vs imatrix quantization " + base);
    }

    /** A small case against a plain double-precision loop: explicit H^-1 and its Cholesky factor, every point by brute force. */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XS", "IQ3_S", "IQ1_M"})
    void matchesAPlainReferenceLoop(GgmlType t) {
        int out = 3, in = 512;
        Random rnd = new Random(43);
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        double[] h = TestData.hessian(TestData.correlated(rnd, 400, in), 400, in);
        float[] imp = GgufGptqQuantizer.diagonal(h, in);
        GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", w, out, in, InverseHessian.prepare("h", h, in, CFG), imp, t);
        float[] ref = reference(t, w, out, in, h, imp);
        int same = 0;
        for (int i = 0; i < ref.length; i++) if (ref[i] == r.dequantized()[i]) same++;
        assertTrue(same >= 0.9 * ref.length, t + ": " + same + " of " + ref.length + " values as the reference");
        double a = GgufGptqQuantizerTest.hessianError(w, r.dequantized(), out, in, h), b = GgufGptqQuantizerTest.hessianError(w, ref, out, in, h);
        assertEquals(b, a, 0.05 * b, t.toString());
    }

    private static float[] reference(GgmlType t, float[] w0, int out, int in, double[] h, float[] imp) {
        double mean = 0;
        for (int i = 0; i < in; i++) mean += h[i * in + i];
        double[] a = h.clone();
        for (int i = 0; i < in; i++) a[i * in + i] += 0.01 * mean / in;
        double[] u = GgufGptqQuantizerTest.upperCholesky(GgufGptqQuantizerTest.invert(a, in), in);
        PointGrid g = Quantizers.pointGrid(t);
        int d = g.dim();
        float[] q = new float[out * in];
        float[] mul = new float[256], add = new float[256], sgn = new float[256], snap = new float[256];
        byte[] block = new byte[t.typeSize()];
        for (int r = 0; r < out; r++) {
            double[] row = new double[in];
            for (int c = 0; c < in; c++) row[c] = w0[r * in + c];
            float[] rowF = new float[in];
            for (int c = 0; c < in; c += d) {
                if (c % 256 == 0) {
                    for (int j = 0; j < in; j++) rowF[j] = (float) row[j];
                    g.chooseScales(rowF, 0, in, imp, c / 256, block, 0);
                    g.elements(block, 0, mul, add, sgn);
                    System.arraycopy(rowF, c, snap, 0, 256);
                }
                int e = c % 256;
                int best = g.point(block, 0, e / d);
                boolean moved = false;
                for (int j = 0; j < d; j++) moved |= (float) row[c + j] != snap[e + j];
                if (moved) {
                    double bestErr = Double.MAX_VALUE;
                    for (int p = 0; p < g.points(); p++) {
                        double err = 0;
                        for (int j = 0; j < d; j++) {
                            double diff = g.value(p, e + j, mul, add, sgn) - row[c + j];
                            err += imp[c + j] * diff * diff;
                        }
                        if (err < bestErr) {
                            bestErr = err;
                            best = p;
                        }
                    }
                }
                for (int j = 0; j < d; j++) {
                    int col = c + j;
                    q[r * in + col] = g.value(best, e + j, mul, add, sgn);
                    double err = (row[col] - q[r * in + col]) / u[col * in + col];
                    for (int k = col + 1; k < in; k++) row[k] -= err * u[col * in + k];
                }
            }
        }
        return q;
    }
}
