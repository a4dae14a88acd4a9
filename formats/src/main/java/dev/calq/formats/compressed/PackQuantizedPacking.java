package dev.calq.formats.compressed;

/**
 * Bit packing of compressed-tensors' "pack-quantized" format. Unlike GPTQ's bit stream, a value never straddles two
 * words: each int32 word holds {@code 32 / bits} whole values (8 at 4 bits, 4 at 8 bits, 10 at 3 bits with the top
 * two bits unused, 16 at 2 bits), value k of a word in bits [k*bits, (k+1)*bits). A run that does not fill its last
 * word is padded with zero values. Stored values are unsigned: the signed code plus 2^(bits-1).
 */
public final class PackQuantizedPacking {
    private PackQuantizedPacking() {}

    /** Values per int32 word. */
    public static int packFactor(int bits) {
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("pack-quantized packs 1 to 8 bits, not " + bits);
        return 32 / bits;
    }

    /** Words needed for a run of {@code count} values. */
    public static int words(int count, int bits) {
        int pf = packFactor(bits);
        return (count + pf - 1) / pf;
    }

    /**
     * Packs a row-major [rows][cols] matrix of unsigned values along its columns: the result is [rows][words(cols)]
     * (weight_packed).
     */
    public static int[] packRows(int[] values, int rows, int cols, int bits) {
        int pf = packFactor(bits), w = words(cols, bits), mask = (1 << bits) - 1;
        int[] packed = new int[rows * w];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) packed[r * w + c / pf] |= (values[r * cols + c] & mask) << (bits * (c % pf));
        return packed;
    }

    /** The inverse of {@link #packRows}: [rows][cols] unsigned values from [rows][words(cols)] words. */
    public static int[] unpackRows(int[] packed, int rows, int cols, int bits) {
        int pf = packFactor(bits), w = words(cols, bits), mask = (1 << bits) - 1;
        int[] v = new int[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) v[r * cols + c] = (packed[r * w + c / pf] >>> (bits * (c % pf))) & mask;
        return v;
    }

    /**
     * Packs a row-major [rows][cols] matrix along its rows: the result is [words(rows)][cols] (weight_zero_point,
     * whose rows are the output channels).
     */
    public static int[] packColumns(int[] values, int rows, int cols, int bits) {
        int pf = packFactor(bits), mask = (1 << bits) - 1;
        int[] packed = new int[words(rows, bits) * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) packed[(r / pf) * cols + c] |= (values[r * cols + c] & mask) << (bits * (r % pf));
        return packed;
    }

    /** The inverse of {@link #packColumns}. */
    public static int[] unpackColumns(int[] packed, int rows, int cols, int bits) {
        int pf = packFactor(bits), mask = (1 << bits) - 1;
        int[] v = new int[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) v[r * cols + c] = (packed[(r / pf) * cols + c] >>> (bits * (r % pf))) & mask;
        return v;
    }
}
