package dev.calq.calibration.kernels;

/** A strided row-major float32 view of a heap array: row r starts at offset + r * stride. */
record FloatWeights(float[] data, int offset, int stride, int rows, int cols) implements WeightMatrix {
    FloatWeights {
        if (rows < 0 || cols < 0 || stride < cols || offset < 0)
            throw new IllegalArgumentException("bad float matrix view: rows=" + rows + " cols=" + cols + " stride=" + stride + " offset=" + offset);
        if (rows > 0 && (long) offset + (long) (rows - 1) * stride + cols > data.length)
            throw new IllegalArgumentException("float matrix " + rows + "x" + cols + " (stride " + stride + ", offset " + offset
                    + ") does not fit an array of " + data.length);
    }

    @Override public void copyRows(int fromRow, int count, float[] dst, int dstOffset) {
        copyBlock(fromRow, count, 0, cols, dst, dstOffset, cols);
    }

    @Override public void copyBlock(int fromRow, int count, int fromCol, int colCount, float[] dst, int dstOffset, int dstStride) {
        checkBlock(this, fromRow, count, fromCol, colCount);
        if (stride == cols && dstStride == cols && fromCol == 0 && colCount == cols) {
            System.arraycopy(data, offset + fromRow * stride, dst, dstOffset, count * cols);
            return;
        }
        for (int r = 0; r < count; r++)
            System.arraycopy(data, offset + (fromRow + r) * stride + fromCol, dst, dstOffset + r * dstStride, colCount);
    }

    static void checkBlock(WeightMatrix w, int fromRow, int count, int fromCol, int colCount) {
        if (fromRow < 0 || count < 0 || fromRow + count > w.rows() || fromCol < 0 || colCount < 0 || fromCol + colCount > w.cols())
            throw new IndexOutOfBoundsException("block rows " + fromRow + "+" + count + " cols " + fromCol + "+" + colCount
                    + " outside a " + w.rows() + "x" + w.cols() + " matrix");
    }
}
