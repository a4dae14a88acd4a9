package dev.calq.formats.gguf.quant;

/** Bit layouts shared by several K-types: 2-bit level planes and the 12-byte 6-bit scale/min table. */
final class KLayout {
    static final int QK_K = 256;

    private KLayout() {}

    /**
     * 256 two-bit levels into 64 bytes: in each half of 128 levels, byte l holds levels l, l+32, l+64, l+96 at
     * bit positions 0, 2, 4, 6 (Q2_K and the low bits of Q3_K).
     */
    static void pack2Bit(byte[] L, byte[] out, int o) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                out[o + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    /** Level i (0..255) of the 2-bit planes written by {@link #pack2Bit}. */
    static int get2Bit(byte[] in, int o, int i) {
        int half = i / 128;
        int r = i % 128;
        return ((in[o + half * 32 + r % 32] & 0xff) >> (2 * (r / 32))) & 3;
    }

    /**
     * Eight 6-bit scales and eight 6-bit minimums into 12 bytes (Q4_K, Q5_K): bytes 0-3 hold scales 0-3 and
     * bytes 4-7 minimums 0-3 in their low 6 bits; bytes 8-11 hold the low nibbles of scale j+4 (low) and minimum
     * j+4 (high); the top two bits of scale j+4 and minimum j+4 sit in bits 6-7 of bytes j and j+4.
     */
    static void packScaleMin6(byte[] ls, byte[] lm, byte[] out, int o) {
        for (int j = 0; j < 8; j++) {
            int s = ls[j] & 0xff;
            int m = lm[j] & 0xff;
            if (j < 4) {
                out[o + j] = (byte) s;
                out[o + j + 4] = (byte) m;
            } else {
                out[o + j + 4] = (byte) ((s & 0xf) | ((m & 0xf) << 4));
                out[o + j - 4] |= (byte) ((s >> 4) << 6);
                out[o + j] |= (byte) ((m >> 4) << 6);
            }
        }
    }

    /** Scale j (0..7) of a table written by {@link #packScaleMin6}. */
    static int scale6(byte[] in, int o, int j) {
        if (j < 4) return in[o + j] & 63;
        return (in[o + j + 4] & 0xf) | (((in[o + j - 4] & 0xff) >> 6) << 4);
    }

    /** Minimum j (0..7) of a table written by {@link #packScaleMin6}. */
    static int min6(byte[] in, int o, int j) {
        if (j < 4) return in[o + j + 4] & 63;
        return ((in[o + j + 4] & 0xff) >> 4) | (((in[o + j] & 0xff) >> 6) << 4);
    }
}
