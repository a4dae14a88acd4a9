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

    /**
     * A diagonal Hessian (no correlations) gives no feedback: with the diagonal header every block is the type's own
     * importance-weighted encoding; the header chosen against GPTQ's loss is one of the codec's and costs no more.
     */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void diagonalHessianIsTheTypesOwnQuantizationByteForByte(GgmlType t) {
        Random rnd = new Random(42);
        double[] diag = new double[IN * IN];
        for (int i = 0; i < IN; i++) diag[i * IN + i] = Math.exp(1.5 * rnd.nextGaussian());
        for (double[] h : new double[][] {TestData.identity(IN), diag}) {
            float[] imp = GgufGptqQuantizer.diagonal(h, IN);
            InverseHessian inv = InverseHessian.prepare("h", h, IN, CFG);
            GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", W, OUT, IN, inv, imp, t);
            assertArrayEquals(Quantizers.quantize(t, W, OUT, IN, imp), r.bytes(), t.toString());
            // the header chosen against GPTQ's loss may pick another of the codec's candidates, never a costlier one
            GgufGptqQuantizer.Result hess = GgufGptqQuantizer.quantize("w", W, OUT, IN, inv, imp, t, GgufGptqQuantizer.ScaleChoice.HESSIAN);
            assertTrue(hess.loss() <= r.loss(), t + ": " + hess.loss() + " vs " + r.loss());
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

    /**
     * The header chosen against GPTQ's loss ({@link PointHeaderChoice}) decodes to the loop's values and lowers
     * GPTQ's loss and tr(dW H dW^T) below the type's diagonal-weighted header, on a random correlated Hessian.
     */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void hessianHeaderChoiceBeatsTheDiagonalOne(GgmlType t) {
        float[] imp = GgufGptqQuantizer.diagonal(H, IN);
        InverseHessian inv = InverseHessian.prepare("h", H, IN, CFG);
        GgufGptqQuantizer.Result diag = GgufGptqQuantizer.quantize("w", W, OUT, IN, inv, imp, t, GgufGptqQuantizer.ScaleChoice.DIAGONAL);
        GgufGptqQuantizer.Result hess = GgufGptqQuantizer.quantize("w", W, OUT, IN, inv, imp, t, GgufGptqQuantizer.ScaleChoice.HESSIAN);
        float[] decoded = Quantizers.dequantize(t, hess.bytes(), OUT, IN);
        for (int i = 0; i < decoded.length; i++)
            assertEquals(Float.floatToIntBits(decoded[i]), Float.floatToIntBits(hess.dequantized()[i]), t + ": element " + i);
        double d = GgufGptqQuantizerTest.hessianError(W, diag.dequantized(), OUT, IN, H);
        double h = GgufGptqQuantizerTest.hessianError(W, hess.dequantized(), OUT, IN, H);
        assertTrue(hess.loss() < diag.loss(), t + ": GPTQ loss " + hess.loss() + " vs diagonal header " + diag.loss());
        assertTrue(h < d, t + ": Hessian-aware header " + h + " vs diagonal " + d);
    }

    /**
     * A small case against a plain double-precision loop: explicit H^-1 and its Cholesky factor, every point (and,
     * for the signed types, every sign pattern the type can store) by brute force.
     */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XS", "IQ3_S", "IQ3_XXS", "IQ1_M"})
    void matchesAPlainReferenceLoop(GgmlType t) {
        int out = 3, in = 512;
        Random rnd = new Random(43);
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        double[] h = TestData.hessian(TestData.correlated(rnd, 400, in), 400, in);
        float[] imp = GgufGptqQuantizer.diagonal(h, in);
        GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", w, out, in, InverseHessian.prepare("h", h, in, CFG), imp, t);
        float[] ref = reference(t, w, out, in, h, imp, true);
        int same = 0;
        for (int i = 0; i < ref.length; i++) if (ref[i] == r.dequantized()[i]) same++;
        assertTrue(same >= 0.9 * ref.length, t + ": " + same + " of " + ref.length + " values as the reference");
        double a = GgufGptqQuantizerTest.hessianError(w, r.dequantized(), out, in, h), b = GgufGptqQuantizerTest.hessianError(w, ref, out, in, h);
        assertEquals(b, a, 0.05 * b, t.toString());
    }

    /**
     * Re-choosing the signs with the point lowers the Hessian-weighted error against keeping the header's signs
     * (the reference loop without sign choice), on a random correlated Hessian.
     */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S"})
    void choosingSignsPerGroupBeatsTheHeadersSigns(GgmlType t) {
        int out = 4, in = 512;
        Random rnd = new Random(44);
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        double[] h = TestData.hessian(TestData.correlated(rnd, 400, in), 400, in);
        float[] imp = GgufGptqQuantizer.diagonal(h, in);
        GgufGptqQuantizer.Result r = GgufGptqQuantizer.quantize("w", w, out, in, InverseHessian.prepare("h", h, in, CFG), imp, t);
        double signed = GgufGptqQuantizerTest.hessianError(w, r.dequantized(), out, in, h);
        double kept = GgufGptqQuantizerTest.hessianError(w, reference(t, w, out, in, h, imp, false), out, in, h);
        assertTrue(signed < kept, t + ": signs per group " + signed + " vs the header's " + kept);
    }

    private static float[] reference(GgmlType t, float[] w0, int out, int in, double[] h, float[] imp, boolean chooseSigns) {
        double mean = 0;
        for (int i = 0; i < in; i++) mean += h[i * in + i];
        double[] a = h.clone();
        for (int i = 0; i < in; i++) a[i * in + i] += 0.01 * mean / in;
        double[] u = GgufGptqQuantizerTest.upperCholesky(GgufGptqQuantizerTest.invert(a, in), in);
        PointGrid g = Quantizers.pointGrid(t);
        int d = g.dim();
        boolean signed = chooseSigns && g.signs() != PointGrid.Signs.NONE;
        boolean parity = g.signs() == PointGrid.Signs.PARITY;
        float[] q = new float[out * in];
        float[] mul = new float[256], add = new float[256], sgn = new float[256], snap = new float[256];
        byte[] block = new byte[t.typeSize()];
        for (int r = 0; r < out; r++) {
            double[] row = new double[in];
            for (int c = 0; c < in; c++) row[c] = w0[r * in + c];
            float[] rowF = new float[in];
            boolean firstHalfChanged = false;
            for (int c = 0; c < in; c += d) {
                if (c % 256 == 0) {
                    for (int j = 0; j < in; j++) rowF[j] = (float) row[j];
                    g.chooseScales(rowF, 0, in, imp, c / 256, block, 0);
                    g.elements(block, 0, mul, add, sgn);
                    System.arraycopy(rowF, c, snap, 0, 256);
                }
                int e = c % 256;
                boolean moved = false;
                for (int j = 0; j < d; j++) moved |= (float) row[c + j] != snap[e + j];
                Choice kept = new Choice(g.point(block, 0, e / d), maskOf(sgn, e, d), 0);
                Choice chosen = kept;
                if (!signed) {
                    if (moved) chosen = best(g, row, c, e, mul, add, imp, -2, kept.mask, true);
                } else if (moved || (d == 4 && e % 8 == 4 && firstHalfChanged)) {
                    double keptErr = error(g, kept, row, c, e, mul, add, imp), newErr;
                    if (parity && d == 4 && e % 8 == 0) {
                        // the first half of an octet picks its parity from both halves' best errors
                        int keptParity = Integer.bitCount(kept.mask) & 1;
                        double[] total = new double[2];
                        Choice[] first = new Choice[2];
                        for (int p = 0; p < 2; p++) {
                            first[p] = best(g, row, c, e, mul, add, imp, p, 0, false);
                            total[p] = first[p].err + best(g, row, c + 4, e + 4, mul, add, imp, p, 0, false).err;
                        }
                        int p = total[0] < total[1] ? 0 : total[1] < total[0] ? 1 : keptParity;
                        chosen = first[p];
                        newErr = chosen.err + best(g, row, c + 4, e + 4, mul, add, imp, p, 0, false).err;
                        keptErr += best(g, row, c + 4, e + 4, mul, add, imp, keptParity, 0, false).err;
                    } else {
                        int required = !parity ? -2 : d == 8 ? 0 : Integer.bitCount(maskOf(sgn, e - 4, 4)) & 1;
                        chosen = best(g, row, c, e, mul, add, imp, required, 0, false);
                        newErr = chosen.err;
                    }
                    if (!(newErr < keptErr - 1e-9 * keptErr)) chosen = kept;
                }
                if (d == 4 && e % 8 == 0) firstHalfChanged = chosen != kept;
                for (int j = 0; j < d; j++) sgn[e + j] = (chosen.mask & (1 << j)) != 0 ? -1f : 1f;
                if (parity && d == 4 && e % 8 == 0) {
                    // the octet's implied eighth sign follows the new count of negatives in bits 0..6
                    int seven = maskOf(sgn, e, 7);
                    sgn[e + 7] = (Integer.bitCount(seven) & 1) != 0 ? -1f : 1f;
                }
                for (int j = 0; j < d; j++) {
                    int col = c + j;
                    q[r * in + col] = g.value(chosen.point, e + j, mul, add, sgn);
                    double err = (row[col] - q[r * in + col]) / u[col * in + col];
                    for (int k = col + 1; k < in; k++) row[k] -= err * u[col * in + k];
                }
            }
        }
        return q;
    }

    /** A group's point and sign bits (bit j: element j negative), with its weighted error. */
    private record Choice(int point, int mask, double err) {}

    private static int maskOf(float[] sgn, int e, int n) {
        int m = 0;
        for (int j = 0; j < n; j++) if (sgn[e + j] < 0) m |= 1 << j;
        return m;
    }

    /** sum_j d_j (v_j - x_j)^2 of the group at column c (element e of its block) on the choice's point and signs. */
    private static double error(PointGrid g, Choice ch, double[] row, int c, int e, float[] mul, float[] add, float[] imp) {
        double err = 0;
        for (int j = 0; j < g.dim(); j++) {
            float s = (ch.mask & (1 << j)) != 0 ? -1f : 1f;
            double diff = (mul[e + j] * (g.table(ch.point, j) + add[e + j])) * s - row[c + j];
            err += imp[c + j] * diff * diff;
        }
        return err;
    }

    /**
     * The best choice by brute force: every point, and every sign pattern whose count of negatives has parity
     * {@code parity} (-2: any pattern), or only {@code fixedMask} when {@code keepSigns}.
     */
    private static Choice best(PointGrid g, double[] row, int c, int e, float[] mul, float[] add, float[] imp, int parity, int fixedMask,
                               boolean keepSigns) {
        Choice best = null;
        for (int mask = 0; mask < 1 << g.dim(); mask++) {
            if (keepSigns ? mask != fixedMask : parity >= 0 && (Integer.bitCount(mask) & 1) != parity) continue;
            for (int p = 0; p < g.points(); p++) {
                double err = error(g, new Choice(p, mask, 0), row, c, e, mul, add, imp);
                if (best == null || err < best.err) best = new Choice(p, mask, err);
            }
        }
        return best;
    }
}
