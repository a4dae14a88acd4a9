package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;

/**
 * Q5_K: super-blocks of 256 weights in 176 bytes: fp16 d, fp16 dmin, the 12-byte 6-bit scale/min table, 32
 * bytes qh of fifth bits (bit 2k of byte l is the high bit of weight 64k + l, bit 2k+1 that of weight
 * 64k + 32 + l), then 128 bytes of low nibbles laid out as in Q4_K; weight = d * sc_j * q - dmin * m_j.
 */
final class Q5_KCodec extends GridCodec {
    private static final int BYTES = 176;

    Q5_KCodec() { super(GgmlType.Q5_K, range(0, 31)); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) { ScaleMinBlock.grid(in, o, step, offset); }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { pack(levels, out, o); }

    private static void pack(byte[] L, byte[] out, int o) {
        for (int k = 0; k < 32; k++) out[o + 16 + k] = 0;
        for (int n = 0; n < QK_K; n += 64) {
            int shift = n / 32;
            for (int j = 0; j < 32; j++) {
                int l1 = L[n + j];
                int l2 = L[n + j + 32];
                out[o + 16 + j] |= (byte) (((l1 >> 4) << shift) | ((l2 >> 4) << (shift + 1)));
                out[o + 48 + n / 2 + j] = (byte) ((l1 & 0xf) | ((l2 & 0xf) << 4));
            }
        }
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        ScaleMinBlock block = new ScaleMinBlock();
        byte[] L = new byte[QK_K];
        for (int i = 0; i < ne0 / QK_K; i++) {
            int o = outOff + i * BYTES;
            block.quantize(x, xOff + i * QK_K, qw, i * QK_K, 31, -0.5f, 15, L, out, o);
            pack(L, out, o);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        float[] dl = new float[8];
        float[] ml = new float[8];
        for (int i = 0; i < ne0 / QK_K; i++) {
            int o = inOff + i * BYTES;
            ScaleMinBlock.decodeScales(in, o, dl, ml);
            int yb = yOff + i * QK_K;
            for (int n = 0; n < QK_K; n += 64) {
                int s = n / 32;
                for (int l = 0; l < 32; l++) {
                    int q = in[o + 48 + n / 2 + l] & 0xff;
                    int h = in[o + 16 + l] & 0xff;
                    y[yb + n + l] = dl[s] * ((q & 0xf) + ((h >> s) & 1) * 16) - ml[s];
                    y[yb + n + 32 + l] = dl[s + 1] * ((q >> 4) + ((h >> (s + 1)) & 1) * 16) - ml[s + 1];
                }
            }
        }
    }
}
