package dev.calq.formats.gguf.quant;

/**
 * IQ4_NL: blocks of 32 weights as fp16 d then 16 bytes of table indices (byte j: weight j low nibble, weight
 * j+16 high); weight = d * table[index], the table being {@link Iq4Search#VALUES}.
 */
final class IQ4_NLCodec extends GridCodec {
    private static final int BYTES = 18;

    IQ4_NLCodec() { super(GgmlType.IQ4_NL, Iq4Search.levelValues()); }

    @Override
    public void grid(byte[] in, int o, float[] step, float[] offset) {
        java.util.Arrays.fill(step, 0, 32, QuantMath.getHalf(in, o));
        java.util.Arrays.fill(offset, 0, 32, 0f);
    }

    @Override
    public void packLevels(byte[] levels, byte[] out, int o) { Iq4Search.packIndices(levels, 1, out, o + 2); }

    @Override
    void encodeRow(float[] x, int xOff, int ne0, float[] qw, byte[] out, int outOff) {
        Iq4Search search = new Iq4Search();
        for (int b = 0; b < ne0 / 32; b++) {
            int o = outOff + b * BYTES;
            search.quantize(32, x, xOff + 32 * b, qw, 32 * b, out, o, -1, o + 2);
        }
    }

    @Override
    void decodeRow(byte[] in, int inOff, int ne0, float[] y, int yOff) {
        for (int b = 0; b < ne0 / 32; b++) {
            int o = inOff + b * BYTES;
            float d = QuantMath.getHalf(in, o);
            for (int j = 0; j < 16; j++) {
                int q = in[o + 2 + j] & 0xff;
                y[yOff + 32 * b + j] = d * Iq4Search.VALUES[q & 0xf];
                y[yOff + 32 * b + 16 + j] = d * Iq4Search.VALUES[q >> 4];
            }
        }
    }
}
