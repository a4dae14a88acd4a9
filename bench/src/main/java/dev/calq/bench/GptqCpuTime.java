package dev.calq.bench;

import dev.calq.gptq.GptqConfig;
import dev.calq.gptq.GptqQuantizer;
import dev.calq.gptq.HessianAccumulator;
import dev.calq.gptq.InverseHessian;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * GPTQ's three costs in CPU seconds of one thread, the steadier figure on a shared machine (wall-clock JMH numbers
 * swing with the other jobs' load). Run with -Dcalq.threads=1 so every kernel runs on the measuring thread:
 * {@code java --add-modules jdk.incubator.vector -Dcalq.threads=1 -cp bench/target/benchmarks.jar
 * dev.calq.bench.GptqCpuTime OUT IN SAMPLES} (512 tokens a sample; the Hessian cost is linear in SAMPLES).
 */
public final class GptqCpuTime {
    private GptqCpuTime() {}

    public static void main(String[] args) {
        int out = Integer.parseInt(args[0]), in = Integer.parseInt(args[1]), samples = Integer.parseInt(args[2]);
        int tokens = 512;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random rnd = new Random(1);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int t = 0; t < tokens; t++) for (int c = 1; c < in; c++) x[t * in + c] += 0.5f * x[t * in + c - 1];
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
        GptqConfig cfg = GptqConfig.defaults();
        // Warm up the kernels on a small problem first so the timings are of compiled code.
        HessianAccumulator warm = new HessianAccumulator("warm", 256);
        for (int i = 0; i < 20; i++) warm.add(x, 64, 256);
        InverseHessian wi = InverseHessian.prepare("warm", warm.hessian(), 256, cfg);
        for (int i = 0; i < 5; i++) GptqQuantizer.quantize("warm", new float[256 * 256], 256, 256, wi, cfg);

        long c0 = mx.getCurrentThreadCpuTime(), w0 = System.nanoTime();
        HessianAccumulator acc = new HessianAccumulator("bench", in);
        for (int s = 0; s < samples; s++) acc.add(x, tokens, in);
        double[] h = acc.hessian();
        long c1 = mx.getCurrentThreadCpuTime(), w1 = System.nanoTime();
        InverseHessian inv = InverseHessian.prepare("bench", h, in, cfg);
        long c2 = mx.getCurrentThreadCpuTime(), w2 = System.nanoTime();
        GptqQuantizer.quantize("bench", w, out, in, inv, cfg);
        long c3 = mx.getCurrentThreadCpuTime(), w3 = System.nanoTime();
        System.out.printf("%dx%d, %d samples x %d tokens, threads=%s%n", out, in, samples, tokens, System.getProperty("calq.threads", "all"));
        System.out.printf("hessian accumulation: %.2f s CPU (%.3f s CPU a sample), %.2f s wall%n", (c1 - c0) / 1e9, (c1 - c0) / 1e9 / samples, (w1 - w0) / 1e9);
        System.out.printf("cholesky inverse:     %.2f s CPU, %.2f s wall%n", (c2 - c1) / 1e9, (w2 - w1) / 1e9);
        System.out.printf("quantization loop:    %.2f s CPU, %.2f s wall%n", (c3 - c2) / 1e9, (w3 - w2) / 1e9);
    }
}
