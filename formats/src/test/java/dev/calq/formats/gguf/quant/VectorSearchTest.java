package dev.calq.formats.gguf.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The lane-per-candidate searches give bit for bit what the scalar searches give. */
class VectorSearchTest {
    private static float[] group(Random r, int n, int kind) {
        float[] x = new float[n + 3];
        double scale = Math.exp(3 * r.nextGaussian());
        for (int i = 0; i < x.length; i++) {
            double v = r.nextGaussian() * scale;
            switch (kind) {
                case 1 -> v = Math.abs(v);
                case 2 -> v = -Math.abs(v);
                case 3 -> v = r.nextInt(5) - 2; // many ties
                case 4 -> v = r.nextDouble() < 0.7 ? 0 : v;
                case 5 -> v = v * v * v;
                default -> { }
            }
            x[i] = (float) v;
        }
        return x;
    }

    private static float[] weights(Random r, float[] x, int n, int kind) {
        float[] w = new float[n + 3];
        for (int i = 0; i < w.length; i++) {
            w[i] = switch (kind) {
                case 0 -> Math.abs(x[i]);
                case 1 -> (float) Math.exp(r.nextGaussian());
                default -> r.nextDouble() < 0.2 ? 0f : (float) r.nextDouble();
            };
        }
        return w;
    }

    @Test
    void makeQkxMatchesScalar() {
        Random r = new Random(5);
        VectorSearch vs = new VectorSearch();
        float[][] params = {{-0.5f, 0.1f, 15}, {-1f, 0.1f, 20}, {-0.9f, 0.05f, 36}};
        for (int t = 0; t < 3000; t++) {
            int n = t % 2 == 0 ? 16 : 32;
            int nmax = new int[] {3, 15, 31}[t % 3];
            float[] x = group(r, n, t % 6);
            float[] w = weights(r, x, n, t % 3);
            float[] p = params[(t / 3) % 3];
            boolean mad = t % 5 == 0;
            byte[] l1 = new byte[n + 2];
            byte[] l2 = new byte[n + 2];
            float[] m1 = new float[2];
            float[] m2 = new float[2];
            float[] wOff = java.util.Arrays.copyOfRange(w, 0, n);
            float s1 = ScaleSearch.makeQkx(n, nmax, x, 3, wOff, l1, 2, m1, 1, new byte[n], p[0], p[1], (int) p[2], mad);
            float s2 = vs.makeQkx(n, nmax, x, 3, wOff, l2, 2, m2, 1, p[0], p[1], (int) p[2], mad);
            assertEquals(Float.floatToRawIntBits(s1), Float.floatToRawIntBits(s2), "scale, case " + t);
            assertEquals(Float.floatToRawIntBits(m1[1]), Float.floatToRawIntBits(m2[1]), "min, case " + t);
            assertArrayEquals(l1, l2, "levels, case " + t);
        }
    }

    @Test
    void iq4CandidatesMatchTheScalarLoop() {
        Random r = new Random(7);
        VectorSearch vs = new VectorSearch();
        byte[] values = Iq4Search.VALUES;
        for (int t = 0; t < 3000; t++) {
            float[] x = group(r, 32, t % 6);
            float[] w = weights(r, x, 32, t % 3);
            float max = 0;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                if (Math.abs(x[3 + j]) > amax) {
                    amax = Math.abs(x[3 + j]);
                    max = x[3 + j];
                }
            }
            if (amax == 0) continue;
            float d = max / 100;
            float best = d * max;
            for (int itry = -7; itry <= 7; itry++) { // quantize_row_iq4_nl_impl's candidate loop, plainly
                float id = (itry + values[0]) / max;
                float sumqx = 0;
                float sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float q = values[ScaleSearch.bestIndex(values, id * x[3 + j])];
                    sumqx += w[j] * q * x[3 + j];
                    sumq2 += w[j] * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            float got = vs.iq4Candidates(x, 3, w, max, max / 100, (max / 100) * max);
            assertEquals(Float.floatToRawIntBits(d), Float.floatToRawIntBits(got), "case " + t);
        }
    }

    @Test
    void makeQxMatchesScalar() {
        Random r = new Random(6);
        VectorSearch vs = new VectorSearch();
        for (int t = 0; t < 3000; t++) {
            int n = t % 2 == 0 ? 16 : 32;
            int nmax = new int[] {4, 8, 16, 32}[t % 4];
            float[] x = group(r, n, t % 6);
            float[] w = t % 3 == 0 ? null : weights(r, x, n, t % 3);
            int rmse = w == null ? 1 + (t / 3) % 4 : 1;
            byte[] l1 = new byte[n + 1];
            byte[] l2 = new byte[n + 1];
            float s1 = ScaleSearch.makeQx(n, nmax, x, 3, l1, 1, rmse, w, 2);
            float s2 = vs.makeQx(n, nmax, x, 3, l2, 1, rmse, w, 2);
            assertEquals(Float.floatToRawIntBits(s1), Float.floatToRawIntBits(s2), "scale, case " + t);
            assertArrayEquals(l1, l2, "levels, case " + t);
        }
    }
}
