package dev.calq.formats.gguf.quant;

/**
 * A row codec that is also a {@link BlockGrid}. By default a block's scales are chosen by encoding the block on
 * its own, which is exact for the types whose encoder reads nothing beyond the block (the K-types, IQ4, Q8_0);
 * the legacy types with importance weights, whose sigma^2 is the whole row's, override it.
 */
abstract class GridCodec extends RowCodec implements BlockGrid {
    private final float[] levels;
    private final boolean uniform;

    GridCodec(GgmlType type, float[] levels) {
        super(type);
        this.levels = levels;
        this.uniform = BlockGrid.super.uniform();
    }

    /** Levels lo, lo+1, ..., hi. */
    static float[] range(int lo, int hi) {
        float[] v = new float[hi - lo + 1];
        for (int k = 0; k < v.length; k++) v[k] = lo + k;
        return v;
    }

    @Override
    public final float[] levelValues() { return levels; }

    @Override
    public final boolean uniform() { return uniform; }

    @Override
    public void chooseScales(float[] x, int xOff, int ne0, float[] qw, int block, byte[] out, int o) {
        int bs = type().blockSize();
        float[] slice = null;
        if (qw != null) {
            slice = new float[bs];
            System.arraycopy(qw, block * bs, slice, 0, bs);
        }
        encodeRow(x, xOff + block * bs, bs, slice, out, o);
    }
}
