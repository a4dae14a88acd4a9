package dev.calq.gptq.sensitivity;

/**
 * The rows of a weight matrix a sensitivity estimate quantizes. Every ggml type quantizes each row on its own (blocks
 * and super-blocks lie within a row, the importance is per column), so a type's Hessian error sum_r dw_r H dw_r^T
 * can be estimated from a sample of rows and scaled to the whole tensor: the same rows for every type, so types
 * are compared on equal terms. Rows are evenly spaced; with row weights (token counts for an embedding) only rows
 * of positive weight are drawn and the scale is the ratio of total weight to sampled weight.
 */
public final class RowSample {
    /** At least this share of the rows is always sampled: 1/{@value}. */
    static final int FRACTION = 16;

    private final int[] rows;
    private final double[] weights; // per sampled row, null when unweighted
    private final double scale;

    private RowSample(int[] rows, double[] weights, double scale) {
        this.rows = rows;
        this.weights = weights;
        this.scale = scale;
    }

    /** Every row ({@code minRows} <= 0), else max(minRows, rows/16) evenly spaced rows of {@code total}. */
    public static RowSample even(int total, int minRows) {
        int n = count(total, minRows);
        return new RowSample(spaced(total, n, null), null, (double) total / n);
    }

    /** Rows of positive weight, sampled as {@link #even}, each carrying its weight. */
    public static RowSample weighted(double[] weight, int minRows) {
        int present = 0;
        double all = 0;
        for (double w : weight) {
            if (w > 0) {
                present++;
                all += w;
            }
        }
        if (present == 0) throw new IllegalArgumentException("no row has a positive weight");
        int[] positive = new int[present];
        for (int i = 0, k = 0; i < weight.length; i++) if (weight[i] > 0) positive[k++] = i;
        int[] rows = spaced(present, count(present, minRows), positive);
        double[] w = new double[rows.length];
        double sampled = 0;
        for (int i = 0; i < rows.length; i++) sampled += w[i] = weight[rows[i]];
        return new RowSample(rows, w, all / sampled);
    }

    private static int count(int total, int minRows) {
        if (total <= 0) throw new IllegalArgumentException("no rows to sample");
        if (minRows <= 0) return total;
        return Math.min(total, Math.max(minRows, (total + FRACTION - 1) / FRACTION));
    }

    /** n indices evenly spread over 0..total-1 (the middle of each of n equal stretches), mapped through {@code map}. */
    private static int[] spaced(int total, int n, int[] map) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int r = (int) ((2L * i + 1) * total / (2L * n));
            out[i] = map == null ? r : map[r];
        }
        return out;
    }

    public int size() { return rows.length; }

    /** Sampled estimate to whole-tensor sum. */
    public double scale() { return scale; }

    /** The sampled rows of row-major [* x cols] {@code w}, in order, as one [size x cols] matrix. */
    public float[] rows(float[] w, int cols) {
        float[] out = new float[Math.multiplyExact(rows.length, cols)];
        for (int i = 0; i < rows.length; i++) System.arraycopy(w, rows[i] * cols, out, i * cols, cols);
        return out;
    }

    /** sum over sampled rows i of weight_i ||a_i - b_i||^2 ({@code b} null: ||a_i||^2), a and b [size x cols]. */
    public double weightedSquares(float[] a, float[] b, int cols) {
        if (weights == null) throw new IllegalStateException("an unweighted sample");
        double s = 0;
        for (int i = 0; i < rows.length; i++) {
            double r = 0;
            for (int j = i * cols, end = j + cols; j < end; j++) {
                double d = b == null ? a[j] : (double) a[j] - b[j];
                r += d * d;
            }
            s += weights[i] * r;
        }
        return s;
    }
}
