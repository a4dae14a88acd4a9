package dev.calq.formats.bnb;

/**
 * bitsandbytes' 4-bit data types: the 16 code values a 4-bit index stands for, as float32 (what the checkpoint's
 * quant_map holds). NF4 is the QLoRA paper's normal-float grid (quantiles of a normal distribution, exact 0, range
 * [-1, 1]); FP4 is bitsandbytes' 1-sign, 2-exponent, 1-mantissa float scaled to a maximum of 1, in bitsandbytes'
 * index order (index 8 is negative zero).
 */
public enum Bnb4BitType {
    NF4("nf4", new float[] {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f,
            0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f,
            0.5626170039176941f, 0.7229568362236023f, 1.0f}),
    FP4("fp4", fp4());

    private final String json;
    private final float[] code;

    Bnb4BitType(String json, float[] code) {
        this.json = json;
        this.code = code;
    }

    /** The name bitsandbytes uses ("nf4", "fp4"), as in the quant_state key and bnb_4bit_quant_type. */
    public String jsonName() { return json; }

    /** The 16 values, by index. */
    public float[] code() { return code.clone(); }

    public float value(int index) { return code[index]; }

    /** The index whose value is nearest to {@code x} (already divided by the block's absmax); the lowest index on ties. */
    public int nearest(float x) { return CodeTables.nearest(code, x); }

    public static Bnb4BitType of(String name) {
        for (Bnb4BitType t : values()) if (t.json.equals(name)) return t;
        return null;
    }

    /** bitsandbytes' FP4 table {0, 0.0625, 8, 12, 4, 6, 2, 3, then the negatives} divided by its maximum, 12, in float32. */
    private static float[] fp4() {
        float[] v = {0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f, -0f, -0.0625f, -8f, -12f, -4f, -6f, -2f, -3f};
        for (int i = 0; i < 16; i++) v[i] = v[i] / 12f;
        return v;
    }
}
