package dev.calq.formats.gptq;

/**
 * Bit packing of GPTQ checkpoints. Codes are laid end to end as a little-endian bit stream in int32 words: value k
 * of a run occupies bits [k*bits, (k+1)*bits) of the stream, so with 2, 4 and 8 bits each word holds 32/bits whole
 * values, and with 3 bits 32 values fill 3 words with values 10 and 21 straddling word boundaries (AutoGPTQ's
 * layout). {@code qweight} runs along the input dimension (one stream per output column, words [in*bits/32, out]);
 * {@code qzeros} runs along the output dimension (one stream per group, words [groups, out*bits/32]).
 */
public final class GptqPacking {
    private GptqPacking() {}

    /**
     * Packs {@code count} values {@code src[srcOff + k*srcStride]} (each in [0, 2^bits)) into words
     * {@code dst[dstOff + w*dstStride]}, w in [0, count*bits/32).
     */
    public static void pack(int[] src, int srcOff, int srcStride, int count, int bits, int[] dst, int dstOff, int dstStride) {
        checkRun(count, bits);
        int mask = (1 << bits) - 1;
        for (int w = 0; w < count * bits / 32; w++) dst[dstOff + w * dstStride] = 0;
        for (int k = 0; k < count; k++) {
            int v = src[srcOff + k * srcStride] & mask;
            long bit = (long) k * bits;
            int w = (int) (bit >>> 5), shift = (int) (bit & 31);
            dst[dstOff + w * dstStride] |= v << shift;
            if (shift + bits > 32) dst[dstOff + (w + 1) * dstStride] |= v >>> (32 - shift);
        }
    }

    /** The inverse of {@link #pack}: writes {@code count} values into {@code dst[dstOff + k*dstStride]}. */
    public static void unpack(int[] src, int srcOff, int srcStride, int count, int bits, int[] dst, int dstOff, int dstStride) {
        checkRun(count, bits);
        int mask = (1 << bits) - 1;
        for (int k = 0; k < count; k++) {
            long bit = (long) k * bits;
            int w = (int) (bit >>> 5), shift = (int) (bit & 31);
            int v = src[srcOff + w * srcStride] >>> shift;
            if (shift + bits > 32) v |= src[srcOff + (w + 1) * srcStride] << (32 - shift);
            dst[dstOff + k * dstStride] = v & mask;
        }
    }

    /** qweight [in*bits/32][out] from codes [out][in] (row-major). */
    public static int[] packQweight(int[] codes, int out, int in, int bits) {
        int[] q = new int[in * bits / 32 * out];
        for (int o = 0; o < out; o++) pack(codes, o * in, 1, in, bits, q, o, out);
        return q;
    }

    /** codes [out][in] from qweight [in*bits/32][out]. */
    public static int[] unpackQweight(int[] qweight, int out, int in, int bits) {
        int[] codes = new int[out * in];
        for (int o = 0; o < out; o++) unpack(qweight, o, out, in, bits, codes, o * in, 1);
        return codes;
    }

    /** qzeros [groups][out*bits/32] from stored zero points [groups][out] (already offset as the format wants). */
    public static int[] packQzeros(int[] stored, int groups, int out, int bits) {
        int words = out * bits / 32;
        int[] q = new int[groups * words];
        for (int g = 0; g < groups; g++) pack(stored, g * out, 1, out, bits, q, g * words, 1);
        return q;
    }

    /** Stored zero points [groups][out] from qzeros [groups][out*bits/32]. */
    public static int[] unpackQzeros(int[] qzeros, int groups, int out, int bits) {
        int words = out * bits / 32;
        int[] z = new int[groups * out];
        for (int g = 0; g < groups; g++) unpack(qzeros, g * words, 1, out, bits, z, g * out, 1);
        return z;
    }

    /** Whether {@code count} values of {@code bits} fill whole int32 words. */
    public static boolean fillsWords(long count, int bits) { return count * bits % 32 == 0; }

    private static void checkRun(int count, int bits) {
        if (bits < 1 || bits > 16) throw new IllegalArgumentException("bits " + bits);
        if (!fillsWords(count, bits)) throw new IllegalArgumentException(count + " values of " + bits + " bits do not fill whole int32 words");
    }
}
