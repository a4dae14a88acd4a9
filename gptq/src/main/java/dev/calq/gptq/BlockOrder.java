package dev.calq.gptq;

import dev.calq.formats.gguf.quant.GgmlType;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The column order of GPTQ inside ggml blocks. Act-order's column-by-column permutation would scatter a block's
 * columns, but a permutation of whole blocks keeps every ggml block contiguous in the quantization order, so the
 * block-scale rule (scales fixed at the block's first column from the weights as updated so far) still holds:
 * {@link #BY_TRACE} quantizes the blocks in decreasing trace of their Hessian diagonal (the blocks whose inputs carry
 * the most energy first, while most columns are still free to absorb their error), natural order within a block.
 * The loop runs on the permuted weight, Hessian and importance, and the result's block bytes and decoded columns
 * are put back in the tensor's order.
 */
public enum BlockOrder {
    NATURAL, BY_TRACE;

    /** The column permutation (position p quantizes column perm[p]) for blocks of {@code bs} columns, or null for the natural order. */
    public int[] permutation(double[] h, int n, int bs) {
        if (this == NATURAL || n <= bs) return null;
        if (n % bs != 0) throw new IllegalArgumentException(n + " columns are not whole blocks of " + bs);
        int blocks = n / bs;
        double[] trace = new double[blocks];
        for (int c = 0; c < n; c++) trace[c / bs] += h[c * n + c];
        Integer[] order = new Integer[blocks];
        for (int b = 0; b < blocks; b++) order[b] = b;
        Arrays.sort(order, Comparator.comparingDouble((Integer b) -> -trace[b])); // stable: ties keep the natural order
        int[] perm = new int[n];
        for (int k = 0; k < blocks; k++)
            for (int i = 0; i < bs; i++) perm[k * bs + i] = order[k] * bs + i;
        return perm;
    }

    /** H with rows and columns in quantization order: H'[a][b] = H[perm[a]][perm[b]]. */
    static double[] permuteSymmetric(double[] h, int n, int[] perm) {
        double[] out = new double[n * n];
        for (int a = 0; a < n; a++) {
            int ra = perm[a] * n;
            for (int b = 0; b < n; b++) out[a * n + b] = h[ra + perm[b]];
        }
        return out;
    }

    /** The columns of [rows x n] (or one vector with rows = 1) in quantization order. */
    static float[] permuteColumns(float[] w, int rows, int n, int[] perm) {
        float[] out = new float[w.length];
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < n; p++) out[r * n + p] = w[r * n + perm[p]];
        return out;
    }

    /** A result computed in quantization order, with its block bytes and decoded columns back in the tensor's order. */
    static GgufGptqQuantizer.Result restore(GgufGptqQuantizer.Result r, int rows, int n, int[] perm) {
        GgmlType type = r.type();
        int bs = type.blockSize(), blockBytes = type.typeSize(), rowBytes = n / bs * blockBytes;
        byte[] bytes = new byte[r.bytes().length];
        float[] deq = new float[r.dequantized().length];
        for (int row = 0; row < rows; row++) {
            for (int p = 0; p < n; p++) deq[row * n + perm[p]] = r.dequantized()[row * n + p];
            for (int k = 0; k < n / bs; k++)
                System.arraycopy(r.bytes(), row * rowBytes + k * blockBytes, bytes, row * rowBytes + perm[k * bs] / bs * blockBytes, blockBytes);
        }
        return new GgufGptqQuantizer.Result(type, bytes, deq, r.loss());
    }
}
