package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.QuantMath.GROUP_MAX_EPS;
import static dev.calq.formats.gguf.quant.QuantMath.nearestInt;

/**
 * The shared quantizer of IQ4_NL and IQ4_XS (quantize_row_iq4_nl_impl): every weight becomes an index into the
 * 16-entry non-linear table; each block of 32 gets a scale found by trying inverse scales
 * (itry + table[0]) / max for itry = -7..7 and keeping the best weighted least-squares fit. For IQ4_XS the
 * eight block scales of a super-block are then coded as 6-bit integers against an fp16 super-scale.
 */
final class Iq4Search {
    /** The non-linear 4-bit levels (kvalues_iq4nl). */
    static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final int BLOCK = 32;

    private final float[] weight = new float[BLOCK];
    private final float[] scales = new float[8];
    private final byte[] L = new byte[256];

    /**
     * Quantizes {@code size} weights (32 for IQ4_NL, 256 for IQ4_XS). Writes the fp16 scale at {@code dOff},
     * the nibbles (per 32 weights: byte j holds weights j and j+16) at {@code qsOff}, and for IQ4_XS the 6-bit
     * block scales (+32) as a 16-bit word of high bit pairs at {@code scalesOff} followed by 4 bytes of nibbles.
     */
    void quantize(int size, float[] x, int xo, float[] qw, int qwo, byte[] out, int dOff, int scalesOff, int qsOff) {
        float sigma2 = QuantMath.sumSquares(x, xo, size);
        sigma2 *= 2.f / size;
        int nb = size / BLOCK;
        float maxScale = 0;
        float amaxScale = 0;
        for (int ib = 0; ib < nb; ib++) {
            int xb = xo + ib * BLOCK;
            if (qw != null) QuantMath.importanceWeights(qw, qwo + ib * BLOCK, x, xb, BLOCK, sigma2, weight);
            else for (int j = 0; j < BLOCK; j++) weight[j] = x[xb + j] * x[xb + j];
            float max = QuantMath.signedAbsMax(x, xb, BLOCK);
            if (Math.abs(max) < GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = -max / VALUES[0];
            float id = 1 / d;
            float sumqx = 0;
            float sumq2 = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = x[xb + j];
                int l = ScaleSearch.bestIndex(VALUES, id * v);
                L[ib * BLOCK + j] = (byte) l;
                float q = VALUES[l];
                float w = weight[j];
                sumqx += w * q * v;
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            d = VectorSearch.local().iq4Candidates(x, xb, weight, max, d, d * sumqx);
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = d;
            }
        }
        if (nb > 1) {
            int scalesH = 0;
            float d = -maxScale / 32;
            QuantMath.putHalf(out, dOff, d);
            float id = d != 0 ? 1 / d : 0.f;
            for (int ib = 0; ib < nb; ib++) {
                int l = Math.max(-32, Math.min(31, nearestInt(id * scales[ib])));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                for (int j = 0; j < BLOCK; j++) L[ib * BLOCK + j] = (byte) ScaleSearch.bestIndex(VALUES, idl * x[xo + ib * BLOCK + j]);
                l += 32;
                int lLow = l & 0xf;
                if (ib % 2 == 0) out[scalesOff + 2 + ib / 2] = (byte) lLow;
                else out[scalesOff + 2 + ib / 2] |= (byte) (lLow << 4);
                scalesH |= (l >> 4) << (2 * ib);
            }
            QuantMath.putShort(out, scalesOff, scalesH);
        } else {
            QuantMath.putHalf(out, dOff, scales[0]);
            float id = scales[0] != 0 ? 1 / scales[0] : 0;
            for (int j = 0; j < size; j++) L[j] = (byte) ScaleSearch.bestIndex(VALUES, id * x[xo + j]);
        }
        packIndices(L, size / 32, out, qsOff);
    }

    /** Table indices of {@code blocks} blocks of 32 as nibbles at {@code o} (per block, byte j: weights j and j+16). */
    static void packIndices(byte[] L, int blocks, byte[] out, int o) {
        for (int i = 0; i < blocks; i++) {
            for (int j = 0; j < 16; j++) out[o + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
        }
    }

    /** The table as floats, in index order. */
    static float[] levelValues() {
        float[] v = new float[VALUES.length];
        for (int k = 0; k < v.length; k++) v[k] = VALUES[k];
        return v;
    }
}
