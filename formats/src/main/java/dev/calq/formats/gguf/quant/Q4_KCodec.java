package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;

/**
 * Q4_K: super-blocks of 256 weights in 144 bytes: fp16 d, fp16 dmin, the 12-byte 6-bit scale/min table
 * ({@link KLayout#packScaleMin6}), then 128 bytes of nibbles: for each 64 weights, byte l holds weight l (low)
 * and weight l+32 (high); weight = d * sc_j * q - dmin * m_j for sub-block j of 32.
 */
final class Q4_KCodec extends GridCodec {
    private static final int BYTES = 144;

    Q4_KCodec() { super(GgmlType.Q4_K, range(0, 15)); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) { ScaleMinBlock.grid(in, o, step, offset); }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { pack(levels, out, o); }

    private static void pack(byte[] L, byte[] out, int o) {
        for (int j = 0; j < QK_K; j += 64) {
            for (int l = 0; l < 32; l++) out[o + 16 + j / 2 + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
        }
    }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        ScaleMinBlock block = new ScaleMinBlock();
        byte[] L = new byte[QK_K];
        for (int i = 0; i < ne0 / QK_K; i++) {
            int o = outOff + i * BYTES;
            block.quantize(x, xOff + i * QK_K, qw, i * QK_K, 15, -1.f, 20, L, out, o);
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
            for (int j = 0; j < QK_K; j += 64) {
                int s = j / 32;
                for (int l = 0; l < 32; l++) {
                    int q = in[o + 16 + j / 2 + l] & 0xff;
                    y[yb + j + l] = dl[s] * (q & 0xf) - ml[s];
                    y[yb + j + 32 + l] = dl[s + 1] * (q >> 4) - ml[s + 1];
                }
            }
        }
    }
}
