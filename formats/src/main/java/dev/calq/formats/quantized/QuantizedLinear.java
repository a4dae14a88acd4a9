package dev.calq.formats.quantized;


/**
 * A linear layer's weight quantized to a grid: W[r][c] ~ scales[g][r] * (codes[r][c] - zeros[g][r]) with
 * g = gIdx[c]. Arrays are flat and row-major: {@code codes} is [out][in], {@code scales} and {@code zeros} are
 * [groups][out] (the checkpoint layout), {@code gIdx} is [in] (the group of each input column; with act-order the
 * groups are not contiguous). With a {@code codebook} (NF4/FP4, calibration's CodebookGrid) a code stands for
 * codebook[code] * scale instead.
 */
public record QuantizedLinear(int out, int in, int bits, int groupSize, boolean sym,
                              int[] codes, float[] scales, int[] zeros, int[] gIdx, float[] codebook) {

    /** A layer on the integer grid (no code table). */
    public QuantizedLinear(int out, int in, int bits, int groupSize, boolean sym, int[] codes, float[] scales, int[] zeros, int[] gIdx) {
        this(out, in, bits, groupSize, sym, codes, scales, zeros, gIdx, null);
    }

    public QuantizedLinear {
        if (codes.length != (long) out * in) throw new IllegalArgumentException("codes: " + codes.length + " for " + out + "x" + in);
        if (gIdx.length != in) throw new IllegalArgumentException("gIdx: " + gIdx.length + " for in " + in);
        if (scales.length % out != 0 || scales.length != zeros.length)
            throw new IllegalArgumentException("scales/zeros: " + scales.length + "/" + zeros.length + " for out " + out);
    }

    public int groups() { return scales.length / out; }

    public int maxq() { return (1 << bits) - 1; }

    /** The float weight [out][in] the codes stand for. */
    public float[] dequantize() {
        float[] w = new float[out * in];
        for (int r = 0; r < out; r++) {
            int row = r * in;
            for (int c = 0; c < in; c++) {
                int g = gIdx[c] * out + r;
                w[row + c] = codebook != null ? codebook[codes[row + c]] * scales[g] : scales[g] * (float) (codes[row + c] - zeros[g]);
            }
        }
        return w;
    }
}
