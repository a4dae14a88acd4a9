package dev.calq.formats.quantized;

import java.util.Arrays;

/**
 * A linear layer's weight quantized to a grid: W[r][c] ~ scales[g][r] * (codes[r][c] - zeros[g][r]) with
 * g = gIdx[c]. Arrays are flat and row-major: {@code codes} is [out][in], {@code scales} and {@code zeros} are
 * [groups][out] (the checkpoint layout), {@code gIdx} is [in] (the group of each input column; with act-order the
 * groups are not contiguous). With a {@code codebook} (NF4/FP4, calibration's CodebookGrid) a code stands for
 * codebook[code] * scale instead.
 *
 * <p>A run holds every layer's result until the checkpoint is written, so the codes are kept packed: two to a byte
 * up to 4 bits, one to a byte up to 8 (a 1B model's 4-bit codes are 0.5 GB this way, 4 GB as ints).
 * {@link #codes()} unpacks a fresh copy; {@link #code(int)} reads one.
 */
public final class QuantizedLinear {
    private final int out;
    private final int in;
    private final int bits;
    private final int groupSize;
    private final boolean sym;
    private final byte[] packed;   // bits <= 8: codes, two a byte (low nibble first) when bits <= 4
    private final int[] wide;      // bits > 8: codes as they are
    private final float[] scales;
    private final int[] zeros;
    private final int[] gIdx;
    private final float[] codebook;

    public QuantizedLinear(int out, int in, int bits, int groupSize, boolean sym,
                           int[] codes, float[] scales, int[] zeros, int[] gIdx, float[] codebook) {
        if (codes.length != (long) out * in) throw new IllegalArgumentException("codes: " + codes.length + " for " + out + "x" + in);
        if (gIdx.length != in) throw new IllegalArgumentException("gIdx: " + gIdx.length + " for in " + in);
        if (scales.length % out != 0 || scales.length != zeros.length)
            throw new IllegalArgumentException("scales/zeros: " + scales.length + "/" + zeros.length + " for out " + out);
        if (bits < 1 || bits > 31) throw new IllegalArgumentException("bits: " + bits);
        this.out = out;
        this.in = in;
        this.bits = bits;
        this.groupSize = groupSize;
        this.sym = sym;
        this.scales = scales;
        this.zeros = zeros;
        this.gIdx = gIdx;
        this.codebook = codebook;
        if (bits > 8) {
            this.packed = null;
            this.wide = codes;
            return;
        }
        int max = (1 << bits) - 1;
        for (int i = 0; i < codes.length; i++)
            if (codes[i] < 0 || codes[i] > max) throw new IllegalArgumentException("code " + codes[i] + " at " + i + " is outside " + bits + " bits");
        this.wide = null;
        if (bits <= 4) {
            byte[] p = new byte[(codes.length + 1) / 2];
            for (int i = 0; i < codes.length; i++) p[i >> 1] |= (byte) (codes[i] << ((i & 1) * 4));
            this.packed = p;
        } else {
            byte[] p = new byte[codes.length];
            for (int i = 0; i < codes.length; i++) p[i] = (byte) codes[i];
            this.packed = p;
        }
    }

    /** A layer on the integer grid (no code table). */
    public QuantizedLinear(int out, int in, int bits, int groupSize, boolean sym, int[] codes, float[] scales, int[] zeros, int[] gIdx) {
        this(out, in, bits, groupSize, sym, codes, scales, zeros, gIdx, null);
    }

    public int out() { return out; }

    public int in() { return in; }

    public int bits() { return bits; }

    public int groupSize() { return groupSize; }

    public boolean sym() { return sym; }

    /** The scales, [groups][out] (the live array). */
    public float[] scales() { return scales; }

    /** The zero points, [groups][out] (the live array). */
    public int[] zeros() { return zeros; }

    /** The group of each input column (the live array). */
    public int[] gIdx() { return gIdx; }

    /** The code table (NF4/FP4), or null for the integer grid. */
    public float[] codebook() { return codebook; }

    /** Code {@code i} of the flat [out][in] codes. */
    public int code(int i) {
        if (wide != null) return wide[i];
        if (bits <= 4) return (packed[i >> 1] >> ((i & 1) * 4)) & 0xF;
        return packed[i] & 0xFF;
    }

    /** The codes [out][in], unpacked into a fresh array. */
    public int[] codes() {
        if (wide != null) return wide.clone();
        int n = out * in;
        int[] c = new int[n];
        for (int i = 0; i < n; i++) c[i] = code(i);
        return c;
    }

    public int groups() { return scales.length / out; }

    public int maxq() { return (1 << bits) - 1; }

    /** Bytes this record holds (codes, scales, zeros, group indices), for memory estimates. */
    public long heapBytes() {
        long codesBytes = wide != null ? 4L * wide.length : packed.length;
        return codesBytes + 4L * scales.length + 4L * zeros.length + 4L * gIdx.length;
    }

    /**
     * Bytes a layer of this shape holds once quantized (packed codes, float scales and int zero points for each
     * group of {@code groupSize} columns, or one group when it is not positive, and the group index of each column):
     * what a run's results are estimated at before they exist.
     */
    public static long heapBytes(int out, int in, int bits, int groupSize) {
        long n = (long) out * in;
        long codes = bits <= 4 ? (n + 1) / 2 : bits <= 8 ? n : 4 * n;
        long groups = groupSize > 0 ? (in + groupSize - 1) / groupSize : 1;
        return codes + 8 * groups * out + 4L * in;
    }

    /** The float weight [out][in] the codes stand for. */
    public float[] dequantize() {
        float[] w = new float[out * in];
        dequantizeBlock(0, out, 0, in, w, 0, in);
        return w;
    }

    /**
     * Rows [fromRow, fromRow+count) x columns [fromCol, fromCol+colCount) of {@link #dequantize()}'s weight (the
     * same floats), row r at dst[dstOffset + r * dstStride]: what a forward pass reads without a float32 copy.
     */
    public void dequantizeBlock(int fromRow, int count, int fromCol, int colCount, float[] dst, int dstOffset, int dstStride) {
        if (fromRow < 0 || count < 0 || fromRow + count > out || fromCol < 0 || colCount < 0 || fromCol + colCount > in)
            throw new IndexOutOfBoundsException("block rows " + fromRow + "+" + count + " cols " + fromCol + "+" + colCount + " outside " + out + "x" + in);
        for (int r = fromRow; r < fromRow + count; r++) {
            int row = r * in, o = dstOffset + (r - fromRow) * dstStride - fromCol;
            for (int c = fromCol; c < fromCol + colCount; c++) {
                int g = gIdx[c] * out + r;
                int code = code(row + c);
                dst[o + c] = codebook != null ? codebook[code] * scales[g] : scales[g] * (float) (code - zeros[g]);
            }
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof QuantizedLinear q && out == q.out && in == q.in && bits == q.bits && groupSize == q.groupSize && sym == q.sym
                && Arrays.equals(packed, q.packed) && Arrays.equals(wide, q.wide) && Arrays.equals(scales, q.scales)
                && Arrays.equals(zeros, q.zeros) && Arrays.equals(gIdx, q.gIdx) && Arrays.equals(codebook, q.codebook);
    }

    @Override public int hashCode() {
        return 31 * (31 * Arrays.hashCode(packed) + Arrays.hashCode(scales)) + out * 7 + in;
    }

    @Override public String toString() {
        return "QuantizedLinear[" + out + "x" + in + ", " + bits + " bits, group " + groupSize + (sym ? ", sym" : "") + "]";
    }
}
