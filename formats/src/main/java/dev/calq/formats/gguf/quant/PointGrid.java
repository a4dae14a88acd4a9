package dev.calq.formats.gguf.quant;

/**
 * The seam that vector GPTQ needs inside llama.cpp's codebook types IQ1_S..IQ3_S, whose grid points span {@link #dim()}
 * consecutive weights of a row (8, or 4 for the IQ3 types). Split in two as {@link BlockGrid} is for the scalar
 * types: {@link #chooseScales} writes a whole super-block of 256 weights with the type's own importance-weighted
 * search (super-scale, sub-block scales, sign bits, and a first choice of points); then, with that header fixed,
 * each group of {@code dim} weights may be moved to another point of the codebook ({@link #setPoint}).
 *
 * <p>Under a fixed header, element i of the super-block decodes to {@code (mul[i] * (table(g, i % dim) + add[i])) * sgn[i]}
 * for the point g of its group, in that float order, which is the decoder's own arithmetic (the IQ2/IQ3 types have
 * add = 0 and sgn = ±1, the IQ1 types sgn = 1 and add = ±1/8). Obtained from {@link Quantizers#pointGrid};
 * stateless and thread-safe.
 */
public interface PointGrid {
    GgmlType type();

    /** Weights per grid point. */
    int dim();

    /** Number of grid points. */
    int points();

    /** Element j (0..dim-1) of grid point g, as the decoder multiplies it. */
    float table(int g, int j);

    /**
     * Writes super-block {@code block} of the row at {@code x[xOff .. xOff+ne0)} into {@code out} at {@code o}: the bytes
     * the type's encoder writes for those 256 weights. {@code qw} holds one importance weight per column of the row.
     */
    void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o);

    /** The decoding of every element of the super-block at {@code o}: 256 values of each of mul, add and sgn. */
    void elements(byte[] in, int o, float[] mul, float[] add, float[] sgn);

    /** The grid point of group {@code group} (0 .. 256/dim - 1) of the super-block at {@code o}. */
    int point(byte[] in, int o, int group);

    /** Stores grid point {@code g} for group {@code group} of the super-block at {@code o}, leaving every other bit. */
    void setPoint(byte[] out, int o, int group, int g);

    /**
     * The point minimising sum_j w_j (v_j - x_j)^2 over the whole codebook, v_j the decoded value of element
     * {@code e + j} of the super-block on that point (from {@link #elements}), x the updated weights at {@code x[xo..]},
     * w at {@code w[wo..]}; {@code incumbent} is kept unless another point is strictly better, else the first best.
     * {@code cost} is scratch of points() floats.
     */
    int nearestPoint(float[] x, int xo, float[] w, int wo, float[] mul, float[] add, float[] sgn, int e, int incumbent, float[] cost);

    /**
     * How the type stores the signs of its weights, which in the IQ2/IQ3 types are per-group data beside the point
     * (the table holds magnitudes): {@code NONE} for the IQ1 types (a signed table, no sign bits); {@code PARITY}
     * for IQ2_XXS, IQ2_XS and IQ3_XXS (per 8 weights 7 stored bits, the eighth making the count of negatives even);
     * {@code FREE} for IQ2_S and IQ3_S (8 stored bits per 8 weights).
     */
    enum Signs { NONE, PARITY, FREE }

    Signs signs();

    /** The 8 signs (bit j set: element 8 * octet + j negative) of the super-block at {@code o}; 0 for {@code NONE}. */
    int signOctet(byte[] in, int o, int octet);

    /**
     * Stores the 8 signs of octet {@code octet}, leaving every other bit; for {@code PARITY} types {@code signs} must
     * have an even number of bits set (only bits 0..6 are stored).
     */
    void setSignOctet(byte[] out, int o, int octet, int signs);

    /**
     * For the signed types ({@link #signs()} not {@code NONE}), the weighted cost of each point with the signs
     * following the weights: {@code cost[g] = sum_j w_j (mul_j t_gj - |x_j|)^2} and {@code penalty[g] = min_j 4 w_j
     * mul_j |x_j| t_gj}, what flipping the cheapest element's sign against its weight adds (needed when the parity
     * rule forbids the weights' own signs). x at {@code x[xo..]}, w at {@code w[wo..]}, element {@code e + j}'s
     * multiplier {@code mul[e + j]}; cost and penalty are scratch of points() floats.
     */
    void signedCosts(float[] x, int xo, float[] w, int wo, float[] mul, int e, float[] cost, float[] penalty);

    /** The decoded value of element {@code i} of the super-block (its group on point g). */
    default float value(int g, int i, float[] mul, float[] add, float[] sgn) {
        return (mul[i] * (table(g, i % dim()) + add[i])) * sgn[i];
    }
}
