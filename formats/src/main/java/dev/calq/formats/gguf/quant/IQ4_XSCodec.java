package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;

/**
 * IQ4_XS: super-blocks of 256 weights in 136 bytes: fp16 d, a 16-bit word scales_h (bits 2j, 2j+1: top bits of
 * block j's scale), 4 bytes scales_l (low nibble of block 2k's scale, high nibble of block 2k+1's), then 128
 * bytes of table indices laid out per 32 weights as in IQ4_NL; weight = d * (scale_j - 32) * table[index].
 */
final class IQ4_XSCodec extends GridCodec {
    private static final int BYTES = 136;

    IQ4_XSCodec() { super(GgmlType.IQ4_XS, Iq4Search.levelValues()); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        float d = QuantMath.getHalf(in, o);
        int scalesH = QuantMath.getShort(in, o + 2) & 0xffff;
        for (int ib = 0; ib < 8; ib++) {
            java.util.Arrays.fill(step, 32 * ib, 32 * ib + 32, d * (scale(in, o, scalesH, ib) - 32));
        }
        java.util.Arrays.fill(offset, 0, QK_K, 0f);
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { Iq4Search.packIndices(levels, 8, out, o + 8); }

    /** The stored 6-bit scale (+32) of block ib. */
    private static int scale(byte[] in, int o, int scalesH, int ib) {
        return (((in[o + 4 + ib / 2] & 0xff) >> (4 * (ib % 2))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        Iq4Search search = new Iq4Search();
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = outOff + b * BYTES;
            search.quantize(QK_K, x, xOff + QK_K * b, qw, QK_K * b, out, o, o + 2, o + 8);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int b = 0; b < ne0 / QK_K; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            int scalesH = QuantMath.getShort(in, o + 2) & 0xffff;
            for (int ib = 0; ib < 8; ib++) {
                float dl = d * (scale(in, o, scalesH, ib) - 32);
                int yb = yOff + QK_K * b + 32 * ib;
                for (int j = 0; j < 16; j++) {
                    int q = in[o + 8 + 16 * ib + j] & 0xff;
                    y[yb + j] = dl * Iq4Search.VALUES[q & 0xf];
                    y[yb + 16 + j] = dl * Iq4Search.VALUES[q >> 4];
                }
            }
        }
    }
}
