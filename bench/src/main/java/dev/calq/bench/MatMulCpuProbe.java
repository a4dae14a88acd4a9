package dev.calq.bench;

import dev.calq.calibration.kernels.MatMul;
import dev.calq.formats.Parallel;
import dev.calq.calibration.kernels.WeightMatrix;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * Kernel efficiency on a busy machine: GFLOP per second of this thread's CPU time, single-threaded, next to the
 * one-core FMA peak measured the same way. Wall-clock rates (JMH) swing with other load; CPU time mostly does
 * not, so this isolates the kernel from the scheduler. Run:
 * {@code java --add-modules jdk.incubator.vector -Dcalq.threads=1 -cp bench/target/benchmarks.jar dev.calq.bench.MatMulCpuProbe}
 * (optional arguments: shapes "in x out", default the MatMulBenchmark ones; -Dm=512, -Ddtype=f32,bf16 or f16).
 */
public final class MatMulCpuProbe {
    private static final ThreadMXBean TM = ManagementFactory.getThreadMXBean();

    private MatMulCpuProbe() {}

    public static void main(String[] args) {
        if (Parallel.threads() != 1) System.out.println("note: run with -Dcalq.threads=1; CPU time is per thread");
        int m = Integer.getInteger("m", 512);
        String[] shapes = args.length > 0 ? args
                : new String[] {"512x512", "512x256", "512x1536", "1536x512", "512x32000", "2048x2048", "2048x5632", "5632x2048"};
        float sink = 0;
        double peak = 0;
        for (int r = 0; r < 20; r++) { // the peak: best of several short FMA loops
            long t0 = TM.getCurrentThreadCpuTime();
            sink += FmaPeakBenchmark.fmaLoop(r);
            double s = (TM.getCurrentThreadCpuTime() - t0) * 1e-9;
            peak = Math.max(peak, FmaPeakBenchmark.flopsPerLoop() / s / 1e9);
        }
        System.out.printf("one-core FMA peak %.1f GFLOP/cpu-s%n", peak);
        for (String dtype : System.getProperty("dtype", "f32,bf16").split(",")) {
            // Warm-up: until C2 has compiled the kernels (seconds on a loaded machine), the Vector API runs boxed.
            WeightMatrix ww = weights(dtype, random(512 * 512, 0.1f), 512, 512);
            float[] wa = random(m * 512, 1), wc = new float[m * 512];
            for (long end = System.nanoTime() + 6_000_000_000L; System.nanoTime() < end; ) MatMul.mulTransposed(wa, m, ww, wc);
            for (String shape : shapes) {
                String[] io = shape.split("x");
                int k = Integer.parseInt(io[0]), n = Integer.parseInt(io[1]);
                float[] a = random(m * k, 1), c = new float[m * n];
                WeightMatrix w = weights(dtype, random(n * k, 0.1f), n, k);
                double flop = 2.0 * m * n * k, best = 0;
                long end = System.nanoTime() + 3_000_000_000L;
                for (int reps = 0; reps < 3 || System.nanoTime() < end; reps++) {
                    long t0 = TM.getCurrentThreadCpuTime();
                    MatMul.mulTransposed(a, m, w, c);
                    double s = (TM.getCurrentThreadCpuTime() - t0) * 1e-9;
                    best = Math.max(best, flop / s / 1e9);
                }
                sink += c[0];
                System.out.printf("%-5s %-10s m=%d  %6.1f GFLOP/cpu-s  %3.0f%% of peak%n", dtype, shape, m, best, 100 * best / peak);
            }
        }
        if (sink == 0.123f) System.out.println();
    }

    static float[] random(int size, float scale) {
        Random rnd = new Random(size);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (rnd.nextFloat() - 0.5f) * scale;
        return x;
    }

    /** f32 on the heap, or bf16/f16 off-heap as a memory-mapped checkpoint would be. */
    static WeightMatrix weights(String dtype, float[] wf, int n, int k) {
        return switch (dtype) {
            case "f32" -> WeightMatrix.of(wf, n, k);
            case "bf16" -> {
                MemorySegment seg = Arena.ofAuto().allocate(2L * wf.length, 64);
                for (int i = 0; i < wf.length; i++) seg.set(Tensor.I16, 2L * i, (short) (Float.floatToRawIntBits(wf[i]) >>> 16));
                yield WeightMatrix.of(new Tensor("w", DType.BF16, new long[] {n, k}, seg));
            }
            case "f16" -> {
                MemorySegment seg = Arena.ofAuto().allocate(2L * wf.length, 64);
                for (int i = 0; i < wf.length; i++) seg.set(Tensor.I16, 2L * i, Float.floatToFloat16(wf[i]));
                yield WeightMatrix.of(new Tensor("w", DType.F16, new long[] {n, k}, seg));
            }
            default -> throw new IllegalArgumentException("dtype " + dtype + " (f32, bf16 or f16)");
        };
    }
}
