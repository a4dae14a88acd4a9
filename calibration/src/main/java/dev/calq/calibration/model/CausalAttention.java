package dev.calq.calibration.model;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax(q k^T / sqrt(d)) v with a causal mask, for every head of every sample of a batch of whole sequences,
 * with grouped-query sharing (query head h reads key/value head h / (heads / kvHeads)). Rows of q are
 * [heads x d], rows of k and v [kvHeads x d]; rows of sample b start at b * tokens. Heads run in parallel.
 */
final class CausalAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private CausalAttention() {}

    static void compute(float[] q, float[] k, float[] v, float[] out, int batch, int tokens,
                        int heads, int kvHeads, int d, float scale) {
        int group = heads / kvHeads;
        IntStream.range(0, batch * heads).parallel().forEach(task -> {
            int b = task / heads, h = task % heads;
            head(q, k, v, out, b * tokens, tokens, h, h / group, heads * d, kvHeads * d, d, scale);
        });
    }

    private static void head(float[] q, float[] k, float[] v, float[] out, int row0, int tokens, int h, int kvh,
                             int qStride, int kvStride, int d, float scale) {
        // Keys transposed to [d x tokens] so that one query's scores are a run of vector FMAs over key positions.
        float[] kt = new float[d * tokens];
        for (int j = 0; j < tokens; j++) {
            int src = (row0 + j) * kvStride + kvh * d;
            for (int c = 0; c < d; c++) kt[c * tokens + j] = k[src + c];
        }
        float[] scores = new float[tokens];
        float[] acc = new float[d];
        int lanes = F.length();
        for (int i = 0; i < tokens; i++) {
            int n = i + 1;
            int qBase = (row0 + i) * qStride + h * d;
            java.util.Arrays.fill(scores, 0, n, 0f);
            for (int c = 0; c < d; c++) {
                float qc = q[qBase + c] * scale;
                int kb = c * tokens;
                FloatVector qv = FloatVector.broadcast(F, qc);
                int j = 0;
                for (; j + lanes <= n; j += lanes) {
                    FloatVector s = FloatVector.fromArray(F, scores, j);
                    FloatVector.fromArray(F, kt, kb + j).fma(qv, s).intoArray(scores, j);
                }
                for (; j < n; j++) scores[j] += qc * kt[kb + j];
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, scores[j]);
            float sum = expInPlace(scores, n, max);
            java.util.Arrays.fill(acc, 0f);
            for (int j = 0; j < n; j++) {
                float p = scores[j];
                int vBase = (row0 + j) * kvStride + kvh * d;
                int c = 0;
                FloatVector pv = FloatVector.broadcast(F, p);
                for (; c + lanes <= d; c += lanes) {
                    FloatVector a = FloatVector.fromArray(F, acc, c);
                    FloatVector.fromArray(F, v, vBase + c).fma(pv, a).intoArray(acc, c);
                }
                for (; c < d; c++) acc[c] += p * v[vBase + c];
            }
            float inv = 1f / sum;
            int oBase = (row0 + i) * qStride + h * d;
            for (int c = 0; c < d; c++) out[oBase + c] = acc[c] * inv;
        }
    }

    /** x[j] = exp(x[j] - max) for j < n; returns the sum. */
    private static float expInPlace(float[] x, int n, float max) {
        int lanes = F.length();
        FloatVector m = FloatVector.broadcast(F, max);
        FloatVector sumV = FloatVector.zero(F);
        int j = 0;
        for (; j + lanes <= n; j += lanes) {
            FloatVector e = FloatVector.fromArray(F, x, j).sub(m).lanewise(VectorOperators.EXP);
            e.intoArray(x, j);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            float e = (float) Math.exp(x[j] - max);
            x[j] = e;
            sum += e;
        }
        return sum;
    }
}
