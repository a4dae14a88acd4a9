package dev.calq.formats.bnb;

import dev.calq.formats.tensor.HalfFloats;
import dev.calq.formats.tensor.DType;

/**
 * One weight quantized to a bitsandbytes 4-bit type: the flattened row-major weight [out x in] in blocks of
 * {@link #BLOCK} consecutive values, each block with a float32 absmax; value j stands for code[codes[j]] * absmax[j / 64].
 * {@code dtype} is the weight's original dtype, the precision bitsandbytes dequantizes into.
 */
public record Bnb4BitLayer(int out, int in, Bnb4BitType type, int[] codes, float[] absmax, DType dtype) {
    public static final int BLOCK = 64;

    public Bnb4BitLayer {
        long n = (long) out * in;
        if (codes.length != n) throw new IllegalArgumentException(codes.length + " codes for " + out + "x" + in);
        if (absmax.length != (n + BLOCK - 1) / BLOCK) throw new IllegalArgumentException(absmax.length + " absmax values for " + n + " weights");
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) throw new IllegalArgumentException("dtype " + dtype);
    }

    /** Nearest-code quantization with each block's absolute maximum as its scale (bitsandbytes' quantize_4bit). */
    public static Bnb4BitLayer quantize(float[] w, int out, int in, Bnb4BitType type, DType dtype) {
        int n = w.length;
        float[] absmax = new float[(n + BLOCK - 1) / BLOCK];
        int[] codes = new int[n];
        for (int b = 0; b < absmax.length; b++) {
            int end = Math.min(n, (b + 1) * BLOCK);
            float m = 0f;
            for (int j = b * BLOCK; j < end; j++) m = Math.max(m, Math.abs(w[j]));
            absmax[b] = m;
            for (int j = b * BLOCK; j < end; j++) codes[j] = type.nearest(m == 0f ? 0f : clamp(w[j] / m));
        }
        return new Bnb4BitLayer(out, in, type, codes, absmax, dtype);
    }

    static float clamp(float x) { return Math.max(-1f, Math.min(1f, x)); }

    /** The weight as bitsandbytes dequantizes it: code value times absmax in float32, rounded to {@code dtype}. */
    public float[] dequantize() { return dequantize(absmax); }

    /** As {@link #dequantize()} with other absmax values (those a double-quantized checkpoint restores). */
    public float[] dequantize(float[] absmaxUsed) {
        float[] w = new float[codes.length];
        for (int j = 0; j < w.length; j++) w[j] = roundTo(dtype, type.value(codes[j]) * absmaxUsed[j / BLOCK]);
        return w;
    }

    /** {@code x} rounded to a 16-bit float dtype (nearest, ties to even), unchanged for F32. */
    public static float roundTo(DType dtype, float x) {
        return switch (dtype) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(x));
            case BF16 -> HalfFloats.roundToBf16(x);
            default -> x;
        };
    }
}
