package dev.calq.calibration.kernels;

import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;

/**
 * A row-major matrix of rows x cols weights (a Linear layer's [out, in]), in any storage. The matmul kernels only
 * ever ask for float32 copies of row blocks, so weights can stay in their file dtype (e.g. bf16, memory-mapped) and
 * memory stays bounded for large models.
 */
public interface WeightMatrix {
    int rows();

    int cols();

    /** Copies rows [fromRow, fromRow+count) as float32 into dst (row-major, count x cols) at dstOffset. */
    void copyRows(int fromRow, int count, float[] dst, int dstOffset);

    /**
     * Copies the block rows [fromRow, fromRow+count) x columns [fromCol, fromCol+colCount) as float32 into dst,
     * row r of the block at dstOffset + r * dstStride. Storages override this to avoid widening whole rows.
     */
    default void copyBlock(int fromRow, int count, int fromCol, int colCount, float[] dst, int dstOffset, int dstStride) {
        int cols = cols();
        float[] row = new float[cols];
        for (int r = 0; r < count; r++) {
            copyRows(fromRow + r, 1, row, 0);
            System.arraycopy(row, fromCol, dst, dstOffset + r * dstStride, colCount);
        }
    }

    /** float32 weights on the heap, row-major; the array is used as is (no copy). */
    static WeightMatrix of(float[] data, int rows, int cols) {
        return new FloatWeights(data, 0, cols, rows, cols);
    }

    /** A 2-D F32, BF16 or F16 tensor (e.g. a memory-mapped view); nothing is copied. */
    static WeightMatrix of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException(t.name() + ": a weight matrix must be 2-D, shape has rank " + t.rank());
        if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16)
            throw new IllegalArgumentException(t.name() + ": weight dtype " + t.dtype() + " is not F32, BF16 or F16");
        long rows = t.dim(0), cols = t.dim(1);
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE)
            throw new IllegalArgumentException(t.name() + ": shape too large for a weight matrix");
        return new TensorWeights(t, (int) rows, (int) cols);
    }
}
