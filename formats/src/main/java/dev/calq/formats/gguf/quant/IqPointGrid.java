package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.KLayout.QK_K;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PointGrid} of the seven IQ1/IQ2/IQ3 types: the super-block layouts of their decoders (docs/formats.md)
 * read and written one group at a time, the header chosen by the type's own codec, and the weighted nearest point
 * of the whole codebook for GPTQ's updated weights.
 */
final class IqPointGrid implements PointGrid {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final GgmlType type;
    private final RowCodec codec;
    private final IqGrid grid;
    private final boolean signed;
    /** The table transposed, element j of every point at [j * points ..), and its squares. */
    private final float[] byElement, squares;

    IqPointGrid(GgmlType type, RowCodec codec, IqGrid.Book book) {
        this.type = type;
        this.codec = codec;
        this.grid = book.grid();
        this.signed = book == IqGrid.Book.IQ1S;
        int n = grid.size, d = grid.dim;
        byElement = new float[n * d];
        squares = new float[n * d];
        for (int g = 0; g < n; g++) {
            for (int j = 0; j < d; j++) {
                float t = table(g, j);
                byElement[j * n + g] = t;
                squares[j * n + g] = t * t;
            }
        }
    }

    @Override public GgmlType type() { return type; }

    @Override public int dim() { return grid.dim; }

    @Override public int points() { return grid.size; }

    @Override
    public float table(int g, int j) {
        byte v = grid.values[g * grid.dim + j];
        return signed ? v : v & 0xff;
    }

    @Override
    public void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o) {
        float[] w = null;
        if (qw != null) {
            w = new float[QK_K];
            System.arraycopy(qw, block * QK_K, w, 0, QK_K);
        }
        codec.encodeRow(x, xOff + block * QK_K, QK_K, w, out, o);
    }

    @Override
    public void elements(byte[] in, int o, float[] mul, float[] add, float[] sgn) {
        java.util.Arrays.fill(add, 0, QK_K, 0f);
        java.util.Arrays.fill(sgn, 0, QK_K, 1f);
        float d = type == GgmlType.IQ1_M ? iq1mScale(in, o) : QuantMath.getHalf(in, o);
        for (int ib = 0; ib < 8; ib++) {
            for (int l = 0; l < 4; l++) {
                int e0 = 32 * ib + 8 * l;
                float m;
                int signs = 0;
                float delta = 0;
                switch (type) {
                    case IQ2_XXS -> {
                        int aux = QuantMath.getInt(in, o + 6 + 8 * ib);
                        m = d * (0.5f + (aux >>> 28)) * 0.25f;
                        signs = IqSigns.expand((aux >>> (7 * l)) & 127);
                    }
                    case IQ2_XS -> {
                        int sc = in[o + 66 + ib] & 0xff;
                        m = d * (0.5f + (l < 2 ? sc & 0xf : sc >> 4)) * 0.25f;
                        signs = IqSigns.expand((QuantMath.getShort(in, o + 2 + 2 * (4 * ib + l)) & 0xffff) >> 9);
                    }
                    case IQ2_S -> {
                        int sc = in[o + 74 + ib] & 0xff;
                        m = d * (0.5f + (l < 2 ? sc & 0xf : sc >> 4)) * 0.25f;
                        signs = in[o + 34 + 4 * ib + l] & 0xff;
                    }
                    case IQ3_XXS -> {
                        int aux = QuantMath.getInt(in, o + 66 + 4 * ib);
                        m = d * (0.5f + (aux >>> 28)) * 0.5f;
                        signs = IqSigns.expand((aux >>> (7 * l)) & 127);
                    }
                    case IQ3_S -> {
                        int sc = in[o + 106 + ib / 2] & 0xff;
                        m = d * (1 + 2 * (ib % 2 == 0 ? sc & 0xf : sc >> 4));
                        signs = in[o + 74 + 4 * ib + l] & 0xff;
                    }
                    case IQ1_S -> {
                        int qh = QuantMath.getShort(in, o + 34 + 2 * ib) & 0xffff;
                        m = d * (2 * ((qh >> 12) & 7) + 1);
                        delta = (qh & 0x8000) != 0 ? -Iq1Split.DELTA : Iq1Split.DELTA;
                    }
                    case IQ1_M -> {
                        int sc = QuantMath.getShort(in, o + 48 + 2 * (ib / 2)) & 0xffff;
                        m = d * (2 * ((sc >> (6 * (ib % 2) + (l < 2 ? 0 : 3))) & 7) + 1);
                        int qh = in[o + 32 + 2 * ib + l / 2] & 0xff;
                        delta = (qh & (l % 2 == 0 ? 0x08 : 0x80)) != 0 ? -Iq1Split.DELTA : Iq1Split.DELTA;
                    }
                    default -> throw new IllegalStateException(type.ggmlName());
                }
                for (int j = 0; j < 8; j++) {
                    mul[e0 + j] = m;
                    add[e0 + j] = delta;
                    if (!signed) sgn[e0 + j] = IqSigns.sign(signs, j);
                }
            }
        }
    }

    private static float iq1mScale(byte[] in, int o) {
        int[] sc = new int[4];
        for (int w = 0; w < 4; w++) sc[w] = QuantMath.getShort(in, o + 48 + 2 * w) & 0xffff;
        int h = (sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000);
        return Float.float16ToFloat((short) h);
    }

    @Override
    public int point(byte[] in, int o, int group) {
        return switch (type) {
            case IQ2_XXS -> in[o + 2 + 8 * (group / 4) + group % 4] & 0xff;
            case IQ2_XS -> QuantMath.getShort(in, o + 2 + 2 * group) & 511;
            case IQ2_S -> (in[o + 2 + group] & 0xff) | (((in[o + 66 + group / 4] & 0xff) >> (2 * (group % 4))) & 3) << 8;
            case IQ3_XXS -> in[o + 2 + group] & 0xff;
            case IQ3_S -> (in[o + 2 + group] & 0xff) | (((in[o + 66 + group / 8] & 0xff) >> (group % 8)) & 1) << 8;
            case IQ1_S -> (in[o + 2 + group] & 0xff) | ((QuantMath.getShort(in, o + 34 + 2 * (group / 4)) >> (3 * (group % 4))) & 7) << 8;
            case IQ1_M -> (in[o + group] & 0xff) | (((in[o + 32 + group / 2] & 0xff) >> (4 * (group % 2))) & 7) << 8;
            default -> throw new IllegalStateException(type.ggmlName());
        };
    }

    @Override
    public void setPoint(byte[] out, int o, int group, int g) {
        switch (type) {
            case IQ2_XXS -> out[o + 2 + 8 * (group / 4) + group % 4] = (byte) g;
            case IQ2_XS -> {
                int at = o + 2 + 2 * group;
                QuantMath.putShort(out, at, (QuantMath.getShort(out, at) & ~511) | g);
            }
            case IQ2_S -> {
                out[o + 2 + group] = (byte) g;
                int at = o + 66 + group / 4, shift = 2 * (group % 4);
                out[at] = (byte) ((out[at] & ~(3 << shift)) | ((g >> 8) & 3) << shift);
            }
            case IQ3_XXS -> out[o + 2 + group] = (byte) g;
            case IQ3_S -> {
                out[o + 2 + group] = (byte) g;
                int at = o + 66 + group / 8, shift = group % 8;
                out[at] = (byte) ((out[at] & ~(1 << shift)) | ((g >> 8) & 1) << shift);
            }
            case IQ1_S -> {
                out[o + 2 + group] = (byte) g;
                int at = o + 34 + 2 * (group / 4), shift = 3 * (group % 4);
                QuantMath.putShort(out, at, (QuantMath.getShort(out, at) & ~(7 << shift)) | ((g >> 8) & 7) << shift);
            }
            case IQ1_M -> {
                out[o + group] = (byte) g;
                int at = o + 32 + group / 2, shift = 4 * (group % 2);
                out[at] = (byte) ((out[at] & ~(7 << shift)) | ((g >> 8) & 7) << shift);
            }
            default -> throw new IllegalStateException(type.ggmlName());
        }
    }

    @Override
    public Signs signs() {
        return switch (type) {
            case IQ2_XXS, IQ2_XS, IQ3_XXS -> Signs.PARITY;
            case IQ2_S, IQ3_S -> Signs.FREE;
            default -> Signs.NONE;
        };
    }

    @Override
    public int signOctet(byte[] in, int o, int octet) {
        return switch (type) {
            case IQ2_XXS -> IqSigns.expand((QuantMath.getInt(in, o + 6 + 8 * (octet / 4)) >>> (7 * (octet % 4))) & 127);
            case IQ2_XS -> IqSigns.expand((QuantMath.getShort(in, o + 2 + 2 * octet) & 0xffff) >> 9);
            case IQ2_S -> in[o + 34 + octet] & 0xff;
            case IQ3_XXS -> IqSigns.expand((QuantMath.getInt(in, o + 66 + 4 * (octet / 4)) >>> (7 * (octet % 4))) & 127);
            case IQ3_S -> in[o + 74 + octet] & 0xff;
            default -> 0;
        };
    }

    @Override
    public void setSignOctet(byte[] out, int o, int octet, int signs) {
        int seven = signs & 127;
        switch (type) {
            case IQ2_XXS, IQ3_XXS -> {
                int at = o + (type == GgmlType.IQ2_XXS ? 6 + 8 * (octet / 4) : 66 + 4 * (octet / 4)), shift = 7 * (octet % 4);
                QuantMath.putInt(out, at, (QuantMath.getInt(out, at) & ~(127 << shift)) | seven << shift);
            }
            case IQ2_XS -> {
                int at = o + 2 + 2 * octet;
                QuantMath.putShort(out, at, (QuantMath.getShort(out, at) & 511) | seven << 9);
            }
            case IQ2_S -> out[o + 34 + octet] = (byte) signs;
            case IQ3_S -> out[o + 74 + octet] = (byte) signs;
            default -> throw new IllegalStateException(type.ggmlName() + " stores no signs");
        }
    }

    /** Vectorised over the points as {@link #nearestPoint}, on |x|, with a running minimum for the flip penalty. */
    @Override
    public void signedCosts(float[] x, int xo, float[] w, int wo, float[] mul, int e, float[] cost, float[] penalty) {
        int n = grid.size, d = grid.dim;
        java.util.Arrays.fill(cost, 0, n, 0f);
        java.util.Arrays.fill(penalty, 0, n, Float.POSITIVE_INFINITY);
        int lanes = F.length();
        for (int j = 0; j < d; j++) {
            float m = mul[e + j], c = Math.abs(x[xo + j]);
            float a = w[wo + j] * m * m, b = -2 * w[wo + j] * m * c, f = 4 * w[wo + j] * m * c;
            FloatVector av = FloatVector.broadcast(F, a), bv = FloatVector.broadcast(F, b), fv = FloatVector.broadcast(F, f);
            int base = j * n, g = 0;
            for (; g + lanes <= n; g += lanes) {
                FloatVector t = FloatVector.fromArray(F, byElement, base + g);
                FloatVector acc = FloatVector.fromArray(F, cost, g);
                acc = FloatVector.fromArray(F, squares, base + g).fma(av, acc);
                t.fma(bv, acc).intoArray(cost, g);
                t.mul(fv).min(FloatVector.fromArray(F, penalty, g)).intoArray(penalty, g);
            }
            for (; g < n; g++) {
                cost[g] = Math.fma(byElement[base + g], b, Math.fma(squares[base + g], a, cost[g]));
                penalty[g] = Math.min(penalty[g], byElement[base + g] * f);
            }
        }
    }

    /** Vectorised over the points: each element adds w s^2 t^2 - 2 w s c t to every point's cost (t its table value). */
    @Override
    public int nearestPoint(float[] x, int xo, float[] w, int wo, float[] mul, float[] add, float[] sgn, int e, int incumbent, float[] cost) {
        int n = grid.size, d = grid.dim;
        java.util.Arrays.fill(cost, 0, n, 0f);
        int lanes = F.length();
        for (int j = 0; j < d; j++) {
            // (s t - c)^2 w = w s^2 t^2 - 2 w s c t + const, s = mul * sgn, c = x - s * add
            float s = mul[e + j] * sgn[e + j];
            float c = x[xo + j] - s * add[e + j];
            float a = w[wo + j] * s * s, b = -2 * w[wo + j] * s * c;
            FloatVector av = FloatVector.broadcast(F, a), bv = FloatVector.broadcast(F, b);
            int base = j * n, g = 0;
            for (; g + lanes <= n; g += lanes) {
                FloatVector acc = FloatVector.fromArray(F, cost, g);
                acc = FloatVector.fromArray(F, squares, base + g).fma(av, acc);
                acc = FloatVector.fromArray(F, byElement, base + g).fma(bv, acc);
                acc.intoArray(cost, g);
            }
            for (; g < n; g++) cost[g] = Math.fma(byElement[base + g], b, Math.fma(squares[base + g], a, cost[g]));
        }
        float best = cost[incumbent];
        int bestIndex = incumbent;
        for (int g = 0; g < n; g++) {
            if (cost[g] < best) {
                best = cost[g];
                bestIndex = g;
            }
        }
        return bestIndex;
    }
}
