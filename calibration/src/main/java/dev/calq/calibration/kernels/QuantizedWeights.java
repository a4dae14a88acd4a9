package dev.calq.calibration.kernels;

import dev.calq.formats.quantized.QuantizedLinear;

/**
 * A quantized layer as the matmul kernels read it: row blocks dequantized on the fly from the packed codes, the same
 * floats as {@link QuantizedLinear#dequantize()}. A quantizer installs it in place of a float32 copy, so a finished
 * layer costs its codes (an eighth of float32 at 4 bits) for the rest of the run, not its float weights.
 */
public record QuantizedWeights(QuantizedLinear layer) implements WeightMatrix {
    @Override public int rows() { return layer.out(); }

    @Override public int cols() { return layer.in(); }

    @Override public void copyRows(int fromRow, int count, float[] dst, int dstOffset) {
        layer.dequantizeBlock(fromRow, count, 0, layer.in(), dst, dstOffset, layer.in());
    }

    @Override public void copyBlock(int fromRow, int count, int fromCol, int colCount, float[] dst, int dstOffset, int dstStride) {
        layer.dequantizeBlock(fromRow, count, fromCol, colCount, dst, dstOffset, dstStride);
    }
}
