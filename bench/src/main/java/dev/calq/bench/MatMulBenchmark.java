package dev.calq.bench;

import dev.calq.calibration.kernels.MatMul;
import dev.calq.calibration.kernels.WeightMatrix;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A * W^T for the Linear shapes of the forward pass, m = 512 tokens, weights f32 on the heap or bf16 off-heap (as
 * when memory-mapped). The secondary result "gflops" is the rate in GFLOP/s (2 m n k flops per call); MatMul uses
 * every core itself, so run with -t 1. Shapes are "in x out": 58M Llama (hidden 512, intermediate 1536, kv 256,
 * vocab 32000) and a 1B-class model (hidden 2048, intermediate 5632).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
@State(Scope.Benchmark)
public class MatMulBenchmark {
    @Param({"512x512", "512x256", "512x1536", "1536x512", "512x32000", "2048x2048", "2048x5632", "5632x2048"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"512"})
    public int m;

    private float[] a, c;
    private WeightMatrix w;
    private double gflopPerCall;

    /** Reports the flop rate next to the call rate: JMH divides the counter by the measured time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() { gflops = 0; }
    }

    @Setup
    public void setup() {
        String[] io = shape.split("x");
        int k = Integer.parseInt(io[0]), n = Integer.parseInt(io[1]);
        a = MatMulCpuProbe.random(m * k, 1);
        c = new float[m * n];
        w = MatMulCpuProbe.weights(dtype, MatMulCpuProbe.random(n * k, 0.1f), n, k);
        gflopPerCall = 2.0 * m * n * k / 1e9;
        MatMul.warmUp(); // compile the kernels first: short warm-up iterations on a busy machine are not enough
        for (int i = 0; i < 3; i++) MatMul.mulTransposed(a, m, w, c);
    }

    @Benchmark
    public float[] mulTransposed(Flops flops) {
        MatMul.mulTransposed(a, m, w, c);
        flops.gflops += gflopPerCall;
        return c;
    }
}
