package dev.calq.calibration.quant;

/**
 * The uniform integer grid of GPTQ-style quantization: a code q in [0, maxq] stands for scale * (q - zero).
 * Parameters are found per output row over a group of input columns from the group's min/max, as GPTQ's reference
 * Quantizer does (range widened to include 0; symmetric grids centre the zero at (maxq+1)/2; an all-zero group gets
 * the range [-1, 1]). With {@code mseClip} the range is shrunk by factors 1, 0.99, ..., 0.21 and the factor with the
 * smallest sum |q(x) - x|^2.4 wins (first minimum kept).
 *
 * <p>Scales are rounded to float16, the precision the GPTQ and AWQ checkpoints store, before the zero and the codes
 * are chosen: the codes are then optimal for the scale a loader will actually use. Arithmetic is float32 with
 * round-half-even, as PyTorch's reference does.
 */
public class QuantGrid {
    /** GPTQ's reference clip search: norm 2.4, 100 grid steps, shrinking to at most 80%. */
    static final double MSE_NORM = 2.4;
    static final int MSE_GRID = 100;
    static final double MSE_MAX_SHRINK = 0.8;
    /** The smallest positive float16 (a subnormal): a scale never rounds to zero. */
    static final float MIN_HALF = 0x1p-24f;

    private final int bits;
    private final int maxq;
    private final boolean sym;
    private final boolean mseClip;

    public QuantGrid(int bits, boolean sym, boolean mseClip) {
        if (bits < 1 || bits > 16) throw new IllegalArgumentException("bits " + bits);
        this.bits = bits;
        this.maxq = (1 << bits) - 1;
        this.sym = sym;
        this.mseClip = mseClip;
    }

    public int bits() { return bits; }

    public int maxq() { return maxq; }

    public boolean sym() { return sym; }

    /** The integer code of {@code x}: clamp(rint(x / scale) + zero, 0, maxq). */
    public static int code(float x, float scale, int zero, int maxq) {
        float q = (float) Math.rint(x / scale) + zero;
        if (q < 0) return 0;
        if (q > maxq) return maxq;
        return (int) q;
    }

    /** The code of {@code x} on this grid (subclasses with other code tables override this and {@link #valueOf}). */
    public int codeOf(float x, float scale, int zero) { return code(x, scale, zero, maxq); }

    /** The value a code stands for on this grid. */
    public float valueOf(int code, float scale, int zero) { return dequantize(code, scale, zero); }

    /** The value a code stands for. */
    public static float dequantize(int code, float scale, int zero) { return scale * (float) (code - zero); }

    /** Rounds {@code x} to the grid: the reference's quantize(x, scale, zero, maxq). */
    public static float quantize(float x, float scale, int zero, int maxq) {
        return dequantize(code(x, scale, zero, maxq), scale, zero);
    }

    /** A scale as float16 stores it, never zero. */
    public static float toHalf(float scale) {
        float h = Float.float16ToFloat(Float.floatToFloat16(scale));
        return h < MIN_HALF ? MIN_HALF : h;
    }

    /**
     * Scale and zero for each of {@code rows} rows over {@code cols} values: row r's values are
     * {@code w[off + r*stride + c]}, c in [0, cols). Writes {@code scales[sOff + r]}, {@code zeros[sOff + r]}.
     */
    public void findParams(float[] w, int off, int stride, int rows, int cols, float[] scales, int[] zeros, int sOff) {
        for (int r = 0; r < rows; r++) {
            long p = findRow(w, off + r * stride, cols);
            scales[sOff + r] = Float.intBitsToFloat((int) (p >>> 32));
            zeros[sOff + r] = (int) p;
        }
    }

    /** Scale (high 32 bits, float bits) and zero (low 32 bits) for {@code len} contiguous values. */
    public long findRow(float[] w, int off, int len) {
        float xmin = 0f, xmax = 0f;
        for (int i = 0; i < len; i++) {
            float v = w[off + i];
            if (v < xmin) xmin = v;
            if (v > xmax) xmax = v;
        }
        if (sym) {
            xmax = Math.max(-xmin, xmax);
            if (xmin < 0) xmin = -xmax;
        }
        if (xmin == 0f && xmax == 0f) {
            xmin = -1f;
            xmax = 1f;
        }
        float scale = toHalf((xmax - xmin) / maxq);
        int zero = zeroFor(xmin, scale);
        if (mseClip) {
            double best = Double.POSITIVE_INFINITY;
            for (int i = 0; i < (int) (MSE_MAX_SHRINK * MSE_GRID); i++) {
                float shrink = (float) (1.0 - (double) i / MSE_GRID);
                float xmin1 = shrink * xmin, xmax1 = shrink * xmax;
                float scale1 = toHalf((xmax1 - xmin1) / maxq);
                int zero1 = zeroFor(xmin1, scale1);
                double err = 0;
                for (int k = 0; k < len; k++) {
                    float v = w[off + k];
                    err += Math.pow(Math.abs(quantize(v, scale1, zero1, maxq) - v), MSE_NORM);
                }
                if (err < best) {
                    best = err;
                    scale = scale1;
                    zero = zero1;
                }
            }
        }
        return ((long) Float.floatToRawIntBits(scale) << 32) | (zero & 0xffffffffL);
    }

    private int zeroFor(float xmin, float scale) {
        if (sym) return (maxq + 1) / 2;
        int z = (int) Math.rint(-xmin / scale);
        return Math.max(0, Math.min(maxq, z));
    }

    /** Scale packed by {@link #findRow}. */
    public static float scaleOf(long params) { return Float.intBitsToFloat((int) (params >>> 32)); }

    /** Zero packed by {@link #findRow}. */
    public static int zeroOf(long params) { return (int) params; }
}
