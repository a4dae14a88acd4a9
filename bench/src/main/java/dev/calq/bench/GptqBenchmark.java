package dev.calq.bench;

import dev.calq.gptq.GptqConfig;
import dev.calq.gptq.GptqQuantizer;
import dev.calq.gptq.HessianAccumulator;
import dev.calq.gptq.InverseHessian;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * GPTQ's three costs for one projection with 128 calibration samples of 512 tokens: the Hessian accumulation
 * (X^T X over 65,536 tokens), the inverse-Hessian factor (Cholesky with damping), and the column-by-column
 * quantization with lazy batch updates (4 bits, groups of 128, block 128).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar GptqBenchmark}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
@State(Scope.Benchmark)
public class GptqBenchmark {
    static final int SAMPLES = 128, TOKENS = 512;

    /** out x in of the projection: q/o_proj of a 2048-wide model, its gate/up_proj, its down_proj. */
    @Param({"2048x2048", "5632x2048", "2048x5632"})
    public String shape;

    int out, in;
    float[] sample;
    float[] weight;
    double[] hessian;
    InverseHessian inverse;
    final GptqConfig cfg = GptqConfig.defaults();

    @Setup(Level.Trial)
    public void setup() {
        String[] p = shape.split("x");
        out = Integer.parseInt(p[0]);
        in = Integer.parseInt(p[1]);
        Random rnd = new Random(1);
        sample = new float[TOKENS * in];
        for (int i = 0; i < sample.length; i++) sample[i] = (float) rnd.nextGaussian();
        weight = new float[out * in];
        for (int i = 0; i < weight.length; i++) weight[i] = (float) (rnd.nextGaussian() * 0.02);
        // A positive definite Hessian with correlated channels: X^T X of 2*in random tokens mixed pairwise.
        HessianAccumulator acc = new HessianAccumulator("bench", in);
        float[] x = new float[2 * in * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int t = 0; t < 2 * in; t++) for (int c = 1; c < in; c++) x[t * in + c] += 0.5f * x[t * in + c - 1];
        acc.add(x, 2 * in, in);
        hessian = acc.hessian();
        inverse = InverseHessian.prepare("bench", hessian, in, cfg);
    }

    /** X^T X over 128 samples of 512 tokens (the same sample each time: the cost does not depend on values). */
    @Benchmark
    public HessianAccumulator hessianAccumulation() {
        HessianAccumulator acc = new HessianAccumulator("bench", in);
        for (int s = 0; s < SAMPLES; s++) acc.add(sample, TOKENS, in);
        return acc;
    }

    @Benchmark
    public InverseHessian choleskyInverse() {
        return InverseHessian.prepare("bench", hessian, in, cfg);
    }

    @Benchmark
    public GptqQuantizer.Result quantizationLoop() {
        return GptqQuantizer.quantize("bench", weight, out, in, inverse, cfg);
    }
}
