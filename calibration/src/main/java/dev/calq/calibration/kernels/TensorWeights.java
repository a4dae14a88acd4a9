package dev.calq.calibration.kernels;

import dev.calq.formats.tensor.Tensor;

/** A 2-D float tensor (F32/BF16/F16, usually memory-mapped) read as float32 on demand. */
record TensorWeights(Tensor tensor, int rows, int cols) implements WeightMatrix {
    @Override public void copyRows(int fromRow, int count, float[] dst, int dstOffset) {
        FloatWeights.checkBlock(this, fromRow, count, 0, cols);
        tensor.copyFloats((long) fromRow * cols, dst, dstOffset, count * cols);
    }

    @Override public void copyBlock(int fromRow, int count, int fromCol, int colCount, float[] dst, int dstOffset, int dstStride) {
        FloatWeights.checkBlock(this, fromRow, count, fromCol, colCount);
        if (fromCol == 0 && colCount == cols && dstStride == cols) {
            tensor.copyFloats((long) fromRow * cols, dst, dstOffset, count * cols);
            return;
        }
        for (int r = 0; r < count; r++)
            tensor.copyFloats((long) (fromRow + r) * cols + fromCol, dst, dstOffset + r * dstStride, colCount);
    }
}
