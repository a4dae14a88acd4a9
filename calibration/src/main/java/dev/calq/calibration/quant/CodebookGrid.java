package dev.calq.calibration.quant;

import dev.calq.formats.bnb.CodeTables;

/**
 * A 4-bit grid with a table of 16 code values instead of evenly spaced ones (bitsandbytes' NF4 and FP4): a group's
 * scale is its absolute maximum (float32, not rounded), a value x gets the index of the table entry nearest to
 * x / scale (clamped to [-1, 1], lowest index on ties) and stands for table[index] * scale. Zero points are unused (0).
 * With GPTQ this rounds onto the table while the error propagation works as for the integer grid.
 */
public final class CodebookGrid extends QuantGrid {
    private final float[] table;

    public CodebookGrid(float[] table) {
        super(4, true, false);
        if (table.length != 16) throw new IllegalArgumentException("a 4-bit table has 16 values, not " + table.length);
        this.table = table.clone();
    }

    public float[] table() { return table.clone(); }

    @Override
    public long findRow(float[] w, int off, int len) {
        float m = 0f;
        for (int i = 0; i < len; i++) m = Math.max(m, Math.abs(w[off + i]));
        return (long) Float.floatToRawIntBits(m) << 32;
    }

    @Override
    public int codeOf(float x, float scale, int zero) {
        float v = scale == 0f ? 0f : Math.max(-1f, Math.min(1f, x / scale));
        return CodeTables.nearest(table, v);
    }

    @Override
    public float valueOf(int code, float scale, int zero) { return table[code] * scale; }
}
