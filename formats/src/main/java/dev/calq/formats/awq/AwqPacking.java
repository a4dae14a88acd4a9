package dev.calq.formats.awq;

/**
 * The int32 packing of AutoAWQ's GEMM layout: 4-bit values packed eight to an int32 along the OUTPUT dimension, in
 * the interleaved order the GEMM kernel's dequantizer expects. Nibble i (bits 4i..4i+3) of packed column j holds
 * logical column 8j + ORDER[i], with ORDER = [0, 2, 4, 6, 1, 3, 5, 7] (so nibbles 0..7 hold columns 0, 2, 4, 6,
 * 1, 3, 5, 7 of the group of eight). Both qweight ([in, out/8], from codes transposed to [in, out]) and qzeros
 * ([groups, out/8]) use it.
 */
public final class AwqPacking {
    public static final int BITS = 4;
    public static final int PACK = 32 / BITS;
    /** Logical column (within a group of eight) stored in nibble i. */
    static final int[] ORDER = {0, 2, 4, 6, 1, 3, 5, 7};

    private AwqPacking() {}

    /**
     * Packs a [rows x cols] matrix of 4-bit values (row-major, cols a multiple of 8) into [rows x cols/8] int32s,
     * eight consecutive columns per int32 in AWQ's nibble order.
     */
    public static int[] packRows(int[] values, int rows, int cols) {
        if (cols % PACK != 0) throw new IllegalArgumentException("AWQ packs the output dimension in eights; " + cols + " is not a multiple of 8");
        if (values.length != (long) rows * cols) throw new IllegalArgumentException(values.length + " values for " + rows + "x" + cols);
        int packedCols = cols / PACK;
        int[] out = new int[rows * packedCols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < packedCols; j++) {
                int base = r * cols + j * PACK;
                int word = 0;
                for (int i = 0; i < PACK; i++) {
                    int v = values[base + ORDER[i]];
                    if ((v & ~0xF) != 0) throw new IllegalArgumentException("value " + v + " at row " + r + " does not fit in 4 bits");
                    word |= v << (BITS * i);
                }
                out[r * packedCols + j] = word;
            }
        }
        return out;
    }

    /** The inverse of {@link #packRows}: [rows x packedCols] int32s to [rows x packedCols*8] values. */
    public static int[] unpackRows(int[] packed, int rows, int packedCols) {
        if (packed.length != (long) rows * packedCols) throw new IllegalArgumentException(packed.length + " words for " + rows + "x" + packedCols);
        int cols = packedCols * PACK;
        int[] out = new int[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < packedCols; j++) {
                int word = packed[r * packedCols + j];
                for (int i = 0; i < PACK; i++) out[r * cols + j * PACK + ORDER[i]] = (word >>> (BITS * i)) & 0xF;
            }
        return out;
    }

    /** qweight of a linear layer: codes [out x in] (the weight's own layout) to [in x out/8] packed. */
    public static int[] packWeight(int[] codes, int out, int in) {
        if (codes.length != (long) out * in) throw new IllegalArgumentException(codes.length + " codes for " + out + "x" + in);
        int[] t = new int[codes.length];
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) t[i * out + o] = codes[o * in + i];
        return packRows(t, in, out);
    }

    /** The codes [out x in] back from qweight [in x out/8]. */
    public static int[] unpackWeight(int[] qweight, int out, int in) {
        int[] t = unpackRows(qweight, in, out / PACK);
        int[] codes = new int[t.length];
        for (int i = 0; i < in; i++)
            for (int o = 0; o < out; o++) codes[o * in + i] = t[i * out + o];
        return codes;
    }
}
