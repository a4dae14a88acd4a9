package dev.calq.formats.gguf.quant;

/**
 * The importance-weighted path shared by the 32-element legacy types: per row, sigma^2 = mean square of the row;
 * per block, weights qw_i * sqrt(sigma^2 + x_i^2), then make_qx_quants (symmetric: Q4_0, Q5_0) or
 * make_qkx3_quants with (-0.9, 0.05, 36) (with offset: Q4_1, Q5_1). The caller packs each block's result.
 */
final class WeightedBlocks {
    static final int QK = 32;

    /** Receives block b's scale d, minimum (0 for symmetric types; the value to add back) and levels. */
    interface Packer {
        void pack(int block, float d, float min, byte[] levels);
    }

    private WeightedBlocks() {}

    static void quantize(float[] x, int xOff, int ne0, float[] qw, int nmax, boolean withMin, Packer packer) {
        float sigma2 = QuantMath.sumSquares(x, xOff, ne0) / ne0;
        float[] weight = new float[QK];
        byte[] L = new byte[QK];
        for (int b = 0; b < ne0 / QK; b++) block(x, xOff, b, qw, sigma2, nmax, withMin, weight, L, packer);
    }

    /** Block {@code b} alone, with sigma^2 from the whole row as it is now (the seam GPTQ uses). */
    static void quantizeBlock(float[] x, int xOff, int ne0, float[] qw, int b, int nmax, boolean withMin, Packer packer) {
        float sigma2 = QuantMath.sumSquares(x, xOff, ne0) / ne0;
        block(x, xOff, b, qw, sigma2, nmax, withMin, new float[QK], new byte[QK], packer);
    }

    private static void block(float[] x, int xOff, int b, float[] qw, float sigma2, int nmax, boolean withMin,
                              float[] weight, byte[] L, Packer packer) {
        int xb = xOff + b * QK;
        QuantMath.importanceWeights(qw, b * QK, x, xb, QK, sigma2, weight);
        VectorSearch search = VectorSearch.local();
        if (withMin) {
            float[] min = new float[1];
            float d = search.makeQkx(QK, nmax, x, xb, weight, L, 0, min, 0, -0.9f, 0.05f, 36, false);
            packer.pack(b, d, -min[0], L);
        } else {
            packer.pack(b, search.makeQx(QK, nmax, x, xb, L, 0, 1, weight, 0), 0f, L);
        }
    }
}
