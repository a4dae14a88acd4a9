package dev.calq.formats.bnb;

/**
 * bitsandbytes' double quantization of the 4-bit absmax values ("compress_statistics"): the mean is taken out as
 * the offset, the rest is quantized in blocks of 256 to the 8-bit dynamic map with each block's absolute maximum
 * (multiplying by its float32 reciprocal, clamping to [-1, 1], nearest map value, lowest index on ties).
 * Restored absmax = map[q] * nestedAbsmax[block] + offset, in float32.
 */
public record BnbDoubleQuant(int[] codes, float[] nestedAbsmax, float[] map, float offset) {
    public static final int NESTED_BLOCK = 256;

    public static BnbDoubleQuant of(float[] absmax) {
        double sum = 0;
        for (float a : absmax) sum += a;
        float offset = (float) (sum / absmax.length);
        float[] map = BnbDynamicMap.signed();
        int[] codes = new int[absmax.length];
        float[] nested = new float[(absmax.length + NESTED_BLOCK - 1) / NESTED_BLOCK];
        for (int b = 0; b < nested.length; b++) {
            int end = Math.min(absmax.length, (b + 1) * NESTED_BLOCK);
            float m = 0f;
            for (int j = b * NESTED_BLOCK; j < end; j++) m = Math.max(m, Math.abs(absmax[j] - offset));
            nested[b] = m;
            float inv = 1f / m;
            for (int j = b * NESTED_BLOCK; j < end; j++) {
                float x = m == 0f ? 0f : Bnb4BitLayer.clamp((absmax[j] - offset) * inv);
                codes[j] = nearest(map, x);
            }
        }
        return new BnbDoubleQuant(codes, nested, map, offset);
    }

    /** The absmax values a loader restores. */
    public float[] restore() { return restore(codes, nestedAbsmax, map, offset); }

    static float[] restore(int[] codes, float[] nestedAbsmax, float[] map, float offset) {
        float[] a = new float[codes.length];
        for (int j = 0; j < a.length; j++) a[j] = map[codes[j]] * nestedAbsmax[j / NESTED_BLOCK] + offset;
        return a;
    }

    static int nearest(float[] map, float x) { return CodeTables.nearest(map, x); }
}
