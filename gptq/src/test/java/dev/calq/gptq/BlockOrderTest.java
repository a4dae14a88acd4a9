package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class BlockOrderTest {
    private static final GptqConfig CFG = GptqConfig.defaults();

    @Test
    void ordersWholeBlocksByDecreasingTraceAndKeepsEachBlockInOrder() {
        int n = 12, bs = 4;
        double[] h = new double[n * n];
        double[] diag = {1, 1, 1, 1, 5, 0, 0, 0, 2, 2, 2, 2}; // block traces 4, 5, 8
        for (int i = 0; i < n; i++) h[i * n + i] = diag[i];
        assertArrayEquals(new int[] {8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3}, BlockOrder.BY_TRACE.permutation(h, n, bs));
        assertNull(BlockOrder.NATURAL.permutation(h, n, bs));
        assertNull(BlockOrder.BY_TRACE.permutation(h, 4, 4), "one block: nothing to order");
        double[] p = BlockOrder.permuteSymmetric(h, n, BlockOrder.BY_TRACE.permutation(h, n, bs));
        assertEquals(2, p[0]);
        assertEquals(5, p[4 * n + 4]);
        assertEquals(1, p[11 * n + 11]);
    }

    /**
     * With a diagonal Hessian GPTQ pushes no error between columns, so every order gives the same codes: a block
     * order whose result differs from the natural one's put a block's bytes or columns back in the wrong place.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q3_K", "Q4_K", "IQ4_XS", "IQ2_XXS"})
    void aDiagonalHessianGivesTheNaturalOrdersBytesInAnyBlockOrder(GgmlType t) {
        int out = 6, in = 768;
        Random rnd = new Random(5);
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        double[] h = new double[in * in];
        for (int c = 0; c < in; c++) h[c * in + c] = 0.5 + c / 256 + rnd.nextDouble(); // later blocks carry more: the order reverses
        float[] imp = GgufGptqQuantizer.diagonal(h, in);
        GgufGptqQuantizer.Result natural = GgufGptqQuantizer.quantize("w", w, out, in, InverseHessian.prepare("h", h, in, CFG), imp, t);
        int[] perm = BlockOrder.BY_TRACE.permutation(h, in, t.blockSize());
        assertNotEquals(0, perm[0], "the last block goes first");
        GgufGptqQuantizer.Result ordered = BlockOrder.restore(GgufGptqQuantizer.quantize("w", BlockOrder.permuteColumns(w, out, in, perm), out, in,
                InverseHessian.prepare("h", BlockOrder.permuteSymmetric(h, in, perm), in, CFG), BlockOrder.permuteColumns(imp, 1, in, perm), t), out, in, perm);
        assertArrayEquals(natural.bytes(), ordered.bytes(), t.toString());
        assertArrayEquals(natural.dequantized(), ordered.dequantized(), 0f);
    }

    /** With a full Hessian the order matters; the restored bytes still decode to the restored columns, and GPTQ still beats plain rounding. */
    @ParameterizedTest
    @EnumSource(names = {"Q3_K", "Q4_K"})
    void aFullHessiansOrderedResultDecodesToItsColumns(GgmlType t) {
        int out = 8, in = 512;
        Random rnd = new Random(9);
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        float[] x = TestData.correlated(rnd, 600, in);
        for (int k = 0; k < 600; k++) for (int c = 256; c < in; c++) x[k * in + c] *= 3; // the last block first
        double[] h = TestData.hessian(x, 600, in);
        float[] imp = GgufGptqQuantizer.diagonal(h, in);
        int[] perm = BlockOrder.BY_TRACE.permutation(h, in, t.blockSize());
        assertEquals(256, perm[0]);
        GgufGptqQuantizer.Result r = BlockOrder.restore(GgufGptqQuantizer.quantize("w", BlockOrder.permuteColumns(w, out, in, perm), out, in,
                InverseHessian.prepare("h", BlockOrder.permuteSymmetric(h, in, perm), in, CFG), BlockOrder.permuteColumns(imp, 1, in, perm), t), out, in, perm);
        assertArrayEquals(r.dequantized(), Quantizers.dequantize(t, r.bytes(), out, in), 0f);
        float[] plain = Quantizers.dequantize(t, Quantizers.quantize(t, w, out, in, imp), out, in);
        assertTrue(GgufGptqQuantizerTest.hessianError(w, r.dequantized(), out, in, h) < GgufGptqQuantizerTest.hessianError(w, plain, out, in, h));
    }
}
