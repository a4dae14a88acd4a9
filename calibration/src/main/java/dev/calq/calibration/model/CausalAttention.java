package dev.calq.calibration.model;

import dev.calq.calibration.kernels.MatMul;
import dev.calq.formats.Parallel;
import dev.calq.calibration.kernels.VectorOps;

/**
 * Softmax(q k^T / sqrt(d)) v with a causal mask, for every head of every sample of a batch of whole sequences,
 * with grouped-query sharing (query head h reads key/value head h / (heads / kvHeads)). Rows of q are
 * [heads x d], rows of k and v [kvHeads x d]; rows of sample b start at b * tokens. Heads run in parallel; each
 * goes through its queries in blocks, multiplying only against the keys the block can see (the causal triangle),
 * with the matmul kernels reading q, k and v in place through strides.
 */
final class CausalAttention {
    /** Query rows per block: the score block (BLOCK x tokens floats) stays in cache. */
    private static final int BLOCK = 64;

    private CausalAttention() {}

    /** Scales q in place by {@code scale} (the 1/sqrt(d) of the scores) and writes the attention output to out. */
    static void compute(float[] q, float[] k, float[] v, float[] out, int batch, int tokens,
                        int heads, int kvHeads, int d, float scale) {
        VectorOps.scale(q, 0, batch * tokens * heads * d, scale);
        int group = heads / kvHeads;
        Parallel.forRange(batch * heads, 1, (from, to) -> {
            float[] scores = new float[Math.min(BLOCK, tokens) * tokens];
            for (int task = from; task < to; task++) {
                int b = task / heads, h = task % heads;
                head(q, k, v, out, scores, b * tokens, tokens, h, h / group, heads * d, kvHeads * d, d);
            }
        });
    }

    private static void head(float[] q, float[] k, float[] v, float[] out, float[] s, int row0, int tokens, int h,
                             int kvh, int qStride, int kvStride, int d) {
        for (int i0 = 0; i0 < tokens; i0 += BLOCK) {
            int m = Math.min(BLOCK, tokens - i0), n = i0 + m;
            MatMul.mulTransposed(q, (row0 + i0) * qStride + h * d, qStride, k, row0 * kvStride + kvh * d, kvStride,
                    s, 0, n, m, n, d);
            for (int r = 0; r < m; r++) {
                int visible = i0 + r + 1;
                VectorOps.softmax(s, r * n, visible);
                java.util.Arrays.fill(s, r * n + visible, (r + 1) * n, 0f);
            }
            MatMul.mul(s, 0, n, v, row0 * kvStride + kvh * d, kvStride, out, (row0 + i0) * qStride + h * d, qStride,
                    m, d, n, false);
        }
    }
}
