package dev.calq.formats.bnb;

import java.util.Arrays;

/**
 * bitsandbytes' signed 8-bit "dynamic" map (create_dynamic_map with 7 exponent bits), the code of the nested
 * (double) quantization of 4-bit absmax values: for exponent e = 0..6 the midpoints of 2^e + 1 evenly spaced points
 * from 0.1 to 1, times 10^(e-6), with both signs, plus 0 and 1, sorted: 256 float32 values. The points and products
 * are computed in float32 as torch.linspace and a float32 tensor times a Python scalar compute them.
 */
public final class BnbDynamicMap {
    private static final float[] SIGNED = build();

    private BnbDynamicMap() {}

    public static float[] signed() { return SIGNED.clone(); }

    private static float[] build() {
        float[] data = new float[256];
        int n = 0;
        for (int e = 0; e < 7; e++) {
            float[] b = linspace(0.1f, 1f, (1 << e) + 1);
            float scale = (float) Math.pow(10, e - 6);
            for (int k = 0; k + 1 < b.length; k++) {
                float mean = (b[k] + b[k + 1]) / 2.0f;
                data[n++] = mean * scale;
                data[n++] = mean * -scale;
            }
        }
        data[n++] = 0f;
        data[n++] = 1f;
        if (n != 256) throw new IllegalStateException("dynamic map has " + n + " values");
        Arrays.sort(data);
        return data;
    }

    /**
     * torch.linspace in float32: start + step*i for the first half, end - step*(steps-1-i) for the rest, each a fused
     * multiply-add (torch's CPU kernel contracts them; plain float arithmetic differs in the last bit of some points).
     */
    static float[] linspace(float start, float end, int steps) {
        float[] v = new float[steps];
        if (steps == 1) {
            v[0] = start;
            return v;
        }
        float step = (end - start) / (float) (steps - 1);
        int half = steps / 2;
        for (int i = 0; i < steps; i++) v[i] = i < half ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (steps - 1 - i), end);
        return v;
    }
}
