package dev.calq.bench;

import dev.calq.gptq.GptqConfig;
import dev.calq.gptq.InverseHessian;
import java.util.Random;

/**
 * Wall time of GPTQ's inverse-Hessian factor ({@link InverseHessian#prepare}: damping, blocked Cholesky, blocked
 * triangular inverse, the float32 U) at the sizes given, on a random symmetric, diagonally dominant (so positive
 * definite) Hessian. One warm-up at each size, then the best of {@code calq.reps} (default 2) runs:
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.calq.bench.FactorTime 4096 8192}.
 */
public final class FactorTime {
    private FactorTime() {}

    public static void main(String[] args) {
        int reps = Integer.getInteger("calq.reps", 2);
        GptqConfig cfg = GptqConfig.defaults();
        InverseHessian.prepare("warm", spd(new Random(0), 512), 512, cfg);
        for (String arg : args) {
            int n = Integer.parseInt(arg);
            double[] h = spd(new Random(n), n);
            InverseHessian.prepare("warm", h, n, cfg);
            double best = Double.MAX_VALUE;
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                InverseHessian.prepare("bench", h, n, cfg);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            System.out.printf("n = %d: inverse-Hessian factor %.2f s (best of %d, threads %s)%n", n, best, reps,
                    System.getProperty("calq.threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        }
    }

    private static double[] spd(Random rnd, int n) {
        double[] h = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double v = rnd.nextDouble() * 2 - 1;
                h[i * n + j] = v;
                h[j * n + i] = v;
            }
            h[i * n + i] = n;
        }
        return h;
    }
}
