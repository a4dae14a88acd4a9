package dev.calq.formats.gguf.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Hand-built blocks, laid out byte by byte from the descriptions in docs/formats.md, decode to the values the
 * description gives. Scales are powers of two and levels small integers, so every expected value is exact.
 */
class BlockLayoutTest {
    private static void half(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    /** An arbitrary but fixed byte pattern that exercises every bit position. */
    private static int pattern(int i) { return (i * 37 + 11) & 0xff; }

    private static void check(GgmlType t, byte[] block, float[] expected) {
        assertEquals(t.typeSize(), block.length);
        assertArrayEquals(expected, Quantizers.dequantize(t, block, 1, t.blockSize()));
    }

    @Test
    void plainFloats() {
        byte[] f32 = {0, 0, (byte) 0x80, 0x3f};
        check(GgmlType.F32, f32, new float[] {1.0f});
        check(GgmlType.F16, new byte[] {0x00, (byte) 0xc0}, new float[] {-2.0f});
        check(GgmlType.BF16, new byte[] {(byte) 0x80, 0x3f}, new float[] {1.0f});
    }

    @Test
    void q8_0() {
        byte[] b = new byte[34];
        half(b, 0, 0.5f);
        float[] e = new float[32];
        for (int j = 0; j < 32; j++) {
            b[2 + j] = (byte) (j * 8 - 128);
            e[j] = (j * 8 - 128) * 0.5f;
        }
        check(GgmlType.Q8_0, b, e);
    }

    @Test
    void q4_0AndQ4_1() {
        byte[] b0 = new byte[18];
        byte[] b1 = new byte[20];
        half(b0, 0, 0.25f);
        half(b1, 0, 0.5f);
        half(b1, 2, -1.0f);
        float[] e0 = new float[32];
        float[] e1 = new float[32];
        for (int j = 0; j < 16; j++) {
            int lo = pattern(j) & 0xf;
            int hi = pattern(j) >> 4;
            b0[2 + j] = (byte) pattern(j);
            b1[4 + j] = (byte) pattern(j);
            e0[j] = (lo - 8) * 0.25f;
            e0[j + 16] = (hi - 8) * 0.25f;
            e1[j] = lo * 0.5f - 1.0f;
            e1[j + 16] = hi * 0.5f - 1.0f;
        }
        check(GgmlType.Q4_0, b0, e0);
        check(GgmlType.Q4_1, b1, e1);
    }

    @Test
    void q5_0AndQ5_1() {
        int qh = 0xA5C30F96;
        byte[] b0 = new byte[22];
        byte[] b1 = new byte[24];
        half(b0, 0, 2.0f);
        half(b1, 0, 0.5f);
        half(b1, 2, 3.0f);
        for (int k = 0; k < 4; k++) {
            b0[2 + k] = (byte) (qh >>> (8 * k));
            b1[4 + k] = (byte) (qh >>> (8 * k));
        }
        float[] e0 = new float[32];
        float[] e1 = new float[32];
        for (int j = 0; j < 16; j++) {
            b0[6 + j] = (byte) pattern(j);
            b1[8 + j] = (byte) pattern(j);
            int q0 = (pattern(j) & 0xf) | (((qh >>> j) & 1) << 4);
            int q1 = (pattern(j) >> 4) | (((qh >>> (j + 16)) & 1) << 4);
            e0[j] = (q0 - 16) * 2.0f;
            e0[j + 16] = (q1 - 16) * 2.0f;
            e1[j] = q0 * 0.5f + 3.0f;
            e1[j + 16] = q1 * 0.5f + 3.0f;
        }
        check(GgmlType.Q5_0, b0, e0);
        check(GgmlType.Q5_1, b1, e1);
    }

    /** Level k of 256 two-bit levels: byte 32*(k/128) + k%32, bits 2*((k%128)/32). */
    private static int twoBit(byte[] b, int qs, int k) {
        return ((b[qs + 32 * (k / 128) + k % 32] & 0xff) >> (2 * ((k % 128) / 32))) & 3;
    }

    @Test
    void q2_K() {
        byte[] b = new byte[84];
        for (int j = 0; j < 16; j++) b[j] = (byte) ((j % 16) | ((15 - j) << 4));
        for (int i = 0; i < 64; i++) b[16 + i] = (byte) pattern(i);
        half(b, 80, 0.5f);
        half(b, 82, 0.25f);
        float[] e = new float[256];
        for (int k = 0; k < 256; k++) e[k] = 0.5f * (k / 16) * twoBit(b, 16, k) - 0.25f * (15 - k / 16);
        check(GgmlType.Q2_K, b, e);
    }

    @Test
    void q3_K() {
        byte[] b = new byte[110];
        for (int i = 0; i < 32; i++) b[i] = (byte) pattern(100 + i);        // hmask
        for (int i = 0; i < 64; i++) b[32 + i] = (byte) pattern(i);         // low bits
        int[] s = new int[16];
        for (int j = 0; j < 16; j++) {
            s[j] = (j * 13 + 5) % 64;
            if (j < 8) b[96 + j] |= (byte) (s[j] & 0xf);
            else b[96 + j - 8] |= (byte) ((s[j] & 0xf) << 4);
            b[96 + 8 + j % 4] |= (byte) ((s[j] >> 4) << (2 * (j / 4)));
        }
        half(b, 108, 0.25f);
        float[] e = new float[256];
        for (int k = 0; k < 256; k++) {
            int high = (b[k % 32] >> (k / 32)) & 1;
            e[k] = 0.25f * (s[k / 16] - 32) * (twoBit(b, 32, k) - (high == 1 ? 0 : 4));
        }
        check(GgmlType.Q3_K, b, e);
    }

    /** Writes eight 6-bit scales and minimums into the 12-byte K table at off. */
    private static void scaleMinTable(byte[] b, int off, int[] sc, int[] m) {
        for (int j = 0; j < 4; j++) {
            b[off + j] = (byte) ((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
            b[off + 4 + j] = (byte) ((m[j] & 63) | ((m[j + 4] >> 4) << 6));
            b[off + 8 + j] = (byte) ((sc[j + 4] & 0xf) | ((m[j + 4] & 0xf) << 4));
        }
    }

    @Test
    void q4_KAndQ5_K() {
        int[] sc = {1, 63, 17, 32, 48, 5, 60, 33};
        int[] m = {62, 0, 31, 16, 47, 59, 2, 40};
        byte[] b4 = new byte[144];
        byte[] b5 = new byte[176];
        for (byte[] b : new byte[][] {b4, b5}) {
            half(b, 0, 0.5f);
            half(b, 2, 0.125f);
            scaleMinTable(b, 4, sc, m);
        }
        for (int i = 0; i < 128; i++) {
            b4[16 + i] = (byte) pattern(i);
            b5[48 + i] = (byte) pattern(i);
        }
        for (int i = 0; i < 32; i++) b5[16 + i] = (byte) pattern(200 + i);
        float[] e4 = new float[256];
        float[] e5 = new float[256];
        for (int k = 0; k < 256; k++) {
            int chunk = k / 64;
            int l = k % 32;
            boolean upper = (k % 64) >= 32;
            int nib = upper ? pattern(32 * chunk + l) >> 4 : pattern(32 * chunk + l) & 0xf;
            int sub = k / 32;
            e4[k] = 0.5f * sc[sub] * nib - 0.125f * m[sub];
            int high = (pattern(200 + l) >> sub) & 1;
            e5[k] = 0.5f * sc[sub] * (nib + 16 * high) - 0.125f * m[sub];
        }
        check(GgmlType.Q4_K, b4, e4);
        check(GgmlType.Q5_K, b5, e5);
    }

    @Test
    void q6_K() {
        byte[] b = new byte[210];
        for (int i = 0; i < 128; i++) b[i] = (byte) pattern(i);
        for (int i = 0; i < 64; i++) b[128 + i] = (byte) pattern(300 + i);
        for (int j = 0; j < 16; j++) b[192 + j] = (byte) (j * 17 - 128);
        half(b, 208, 0.0625f);
        float[] e = new float[256];
        for (int k = 0; k < 256; k++) {
            int h = k / 128;
            int r = k % 128;
            int l = r % 32;
            int quarter = r / 32; // 0..3: ql low of l, ql low of l+32, ql high of l, ql high of l+32
            int qlByte = pattern(64 * h + l + (quarter % 2 == 1 ? 32 : 0));
            int low = quarter < 2 ? qlByte & 0xf : qlByte >> 4;
            int top = (pattern(300 + 32 * h + l) >> (2 * quarter)) & 3;
            e[k] = 0.0625f * (byte) ((k / 16) * 17 - 128) * ((low | (top << 4)) - 32);
        }
        check(GgmlType.Q6_K, b, e);
    }

    private static final int[] TABLE = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    @Test
    void iq4_nlAndIq4_xs() {
        byte[] nl = new byte[18];
        half(nl, 0, 0.25f);
        float[] enl = new float[32];
        for (int j = 0; j < 16; j++) {
            nl[2 + j] = (byte) pattern(j);
            enl[j] = 0.25f * TABLE[pattern(j) & 0xf];
            enl[j + 16] = 0.25f * TABLE[pattern(j) >> 4];
        }
        check(GgmlType.IQ4_NL, nl, enl);

        byte[] xs = new byte[136];
        half(xs, 0, 0.125f);
        int[] s = {0, 63, 31, 32, 7, 40, 55, 16};
        int scalesH = 0;
        for (int ib = 0; ib < 8; ib++) {
            scalesH |= (s[ib] >> 4) << (2 * ib);
            xs[4 + ib / 2] |= (byte) ((s[ib] & 0xf) << (4 * (ib % 2)));
        }
        xs[2] = (byte) scalesH;
        xs[3] = (byte) (scalesH >> 8);
        for (int i = 0; i < 128; i++) xs[8 + i] = (byte) pattern(i);
        float[] exs = new float[256];
        for (int k = 0; k < 256; k++) {
            int ib = k / 32;
            int j = k % 32;
            int q = pattern(16 * ib + j % 16);
            exs[k] = 0.125f * (s[ib] - 32) * TABLE[j < 16 ? q & 0xf : q >> 4];
        }
        check(GgmlType.IQ4_XS, xs, exs);
    }
}
