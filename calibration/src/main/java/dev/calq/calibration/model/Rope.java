package dev.calq.calibration.model;

import dev.calq.formats.model.RopeScaling;

/**
 * Rotary position embeddings in the Hugging Face "rotate_half" layout: within a head of dimension d, element i is
 * paired with element i + d/2 and rotated by the angle position * invFreq[i]. Frequencies follow transformers:
 * default, "linear" (positions divided by factor) and "llama3" (long wavelengths divided by factor, a smooth blend
 * in between). Angles are formed in float32 as transformers does, cosines in double.
 */
public final class Rope {
    private final int headDim;
    private final float[] invFreq;
    private float[] cos = new float[0];
    private float[] sin = new float[0];
    private int positions;

    public Rope(int headDim, double theta, RopeScaling scaling) {
        this.headDim = headDim;
        this.invFreq = inverseFrequencies(headDim, theta, scaling);
    }

    /**
     * As above, each pair's frequency then divided by {@code freqFactors[i]}: llama.cpp's rope_freqs tensor, which
     * is how a GGUF file carries Llama 3 rope scaling (factors of 1 leave a frequency as it is).
     */
    public Rope(int headDim, double theta, RopeScaling scaling, float[] freqFactors) {
        this.headDim = headDim;
        float[] f = inverseFrequencies(headDim, theta, scaling);
        if (freqFactors.length != f.length) throw new IllegalArgumentException(freqFactors.length + " rope factors for " + f.length + " pairs");
        for (int i = 0; i < f.length; i++) f[i] = f[i] / freqFactors[i];
        this.invFreq = f;
    }

    static float[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        int half = headDim / 2;
        float[] f = new float[half];
        for (int i = 0; i < half; i++) f[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
        if (scaling == null || scaling.isDefault()) return f;
        double factor = scaling.factor();
        if ("linear".equals(scaling.type())) {
            for (int i = 0; i < half; i++) f[i] = (float) (f[i] / factor);
            return f;
        }
        // llama3: wavelengths longer than old_ctx/low_freq_factor are slowed by factor, shorter than
        // old_ctx/high_freq_factor kept, the band between interpolated.
        double oldCtx = scaling.originalMaxPositionEmbeddings();
        double low = scaling.lowFreqFactor(), high = scaling.highFreqFactor();
        double lowWavelen = oldCtx / low, highWavelen = oldCtx / high;
        for (int i = 0; i < half; i++) {
            double inv = f[i];
            double wavelen = 2 * Math.PI / inv;
            double out;
            if (wavelen > lowWavelen) out = inv / factor;
            else if (wavelen < highWavelen) out = inv;
            else {
                double smooth = (oldCtx / wavelen - low) / (high - low);
                out = (1 - smooth) * inv / factor + smooth * inv;
            }
            f[i] = (float) out;
        }
        return f;
    }

    public int headDim() { return headDim; }

    /** Copy of the inverse frequencies (one per pair). */
    public float[] inverseFrequencies() { return invFreq.clone(); }

    private synchronized void ensure(int needed) {
        if (needed <= positions) return;
        int n = Math.max(needed, Math.max(64, positions * 2));
        int half = headDim / 2;
        float[] c = new float[n * half], s = new float[n * half];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * invFreq[i];
                c[p * half + i] = (float) Math.cos(angle);
                s[p * half + i] = (float) Math.sin(angle);
            }
        }
        cos = c;
        sin = s;
        positions = n;
    }

    /**
     * Rotates, in place, {@code heads} heads of each of {@code tokens} rows of {@code x}; row t starts at
     * (firstRow + t) * rowStride and has position posOffset + t.
     */
    public void apply(float[] x, int firstRow, int tokens, int rowStride, int heads, int posOffset) {
        ensure(posOffset + tokens);
        float[] c = cos, s = sin;
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++) {
            int tab = (posOffset + t) * half;
            for (int h = 0; h < heads; h++) {
                int base = (firstRow + t) * rowStride + h * headDim;
                for (int i = 0; i < half; i++) {
                    float a = x[base + i], b = x[base + i + half];
                    float cv = c[tab + i], sv = s[tab + i];
                    x[base + i] = a * cv - b * sv;
                    x[base + i + half] = b * cv + a * sv;
                }
            }
        }
    }
}
