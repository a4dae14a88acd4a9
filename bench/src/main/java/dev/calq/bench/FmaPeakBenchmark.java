package dev.calq.bench;

import dev.calq.formats.Parallel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The float32 FMA peak the matmul is measured against: independent FMA chains on register-resident vectors, no
 * memory traffic. "allCores" runs one loop per core on the kernels' own pool (as MatMul does); "oneCore" runs one.
 * The secondary result "gflops" is GFLOP/s. Run with -t 1.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class FmaPeakBenchmark {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** FMAs per loop step: enough independent chains to cover FMA latency times the number of FMA pipes. */
    private static final int CHAINS = 12;
    private static final int STEPS = 1 << 18;

    private float seed = 1e-3f;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() { gflops = 0; }
    }

    static double flopsPerLoop() { return 2.0 * S.length() * CHAINS * STEPS; }

    @Benchmark
    public float oneCore(Flops flops) {
        float r = fmaLoop(seed);
        flops.gflops += flopsPerLoop() / 1e9;
        return r;
    }

    @Benchmark
    public double allCores(Flops flops) {
        int t = Parallel.threads();
        DoubleAdder sink = new DoubleAdder();
        Parallel.forRange(t, 1, (from, to) -> {
            for (int i = from; i < to; i++) sink.add(fmaLoop(seed + i));
        });
        flops.gflops += t * flopsPerLoop() / 1e9;
        return sink.sum();
    }

    /** acc = acc * x + y on CHAINS accumulators; x is just below 1 so the values stay finite. */
    static float fmaLoop(float seed) {
        FloatVector x = FloatVector.broadcast(S, 0.999f), y = FloatVector.broadcast(S, seed);
        FloatVector a0 = y, a1 = y.add(1), a2 = y.add(2), a3 = y.add(3), a4 = y.add(4), a5 = y.add(5);
        FloatVector a6 = y.add(6), a7 = y.add(7), a8 = y.add(8), a9 = y.add(9), a10 = y.add(10), a11 = y.add(11);
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y);
            a4 = a4.fma(x, y); a5 = a5.fma(x, y); a6 = a6.fma(x, y); a7 = a7.fma(x, y);
            a8 = a8.fma(x, y); a9 = a9.fma(x, y); a10 = a10.fma(x, y); a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
