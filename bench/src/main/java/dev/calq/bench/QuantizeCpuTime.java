package dev.calq.bench;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.QuantCodec;
import dev.calq.formats.gguf.quant.Quantizers;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * Quantization throughput per core measured in thread CPU time rather than wall time, so that it stays
 * meaningful on a machine shared with other work (where {@link QuantizeBenchmark}'s wall-clock numbers swing).
 * Runs each type's codec on one thread over 64 x 4096 floats (2 CPU-seconds of warm-up, then 2 measured); prints MB of float32 input per CPU-second.
 * Usage: java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.calq.bench.QuantizeCpuTime [TYPE[+im] ...]
 */
public final class QuantizeCpuTime {
    private QuantizeCpuTime() {}

    public static void main(String[] args) {
        String[] names = args.length > 0 ? args : new String[] {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "Q4_0+im", "Q4_1+im", "Q5_0+im", "Q5_1+im",
                "Q2_K+im", "Q3_K+im", "Q4_K+im", "Q5_K+im", "Q6_K+im", "IQ4_NL+im", "IQ4_XS+im", "IQ2_XXS+im", "IQ2_XS+im",
                "IQ2_S+im", "IQ3_XXS+im", "IQ3_S+im", "IQ1_S+im", "IQ1_M+im"};
        int rows = 64;
        int cols = 4096;
        Random r = new Random(42);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.02 * r.nextGaussian());
        float[] importance = new float[cols];
        for (int j = 0; j < cols; j++) importance[j] = (float) Math.exp(r.nextGaussian());
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (String name : names) {
            boolean im = name.endsWith("+im");
            GgmlType t = GgmlType.valueOf(im ? name.substring(0, name.length() - 3) : name);
            QuantCodec codec = Quantizers.codec(t);
            MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(rows * t.rowBytes(cols))]);
            float[] qw = im ? importance : null;
            long w0 = mx.getCurrentThreadCpuTime();
            while (mx.getCurrentThreadCpuTime() - w0 < 2_000_000_000L) codec.quantize(x, 0, rows, cols, qw, out, 0);
            int reps = 0;
            long t0 = mx.getCurrentThreadCpuTime();
            long spent;
            do {
                codec.quantize(x, 0, rows, cols, qw, out, 0);
                reps++;
                spent = mx.getCurrentThreadCpuTime() - t0;
            } while (spent < 2_000_000_000L);
            double seconds = spent / 1e9 / reps;
            System.out.printf("%-10s %8.1f MB/s per core%n", name, x.length * 4 / 1e6 / seconds);
        }
    }
}
