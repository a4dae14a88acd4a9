package dev.calq.bench;

import dev.calq.calibration.eval.LogSoftmax;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The log-sum-exp of one row of logits, one thread: what eval and the sensitivity probe pay per scored position
 * besides the head's matmul (for the 58M model, 512 x 32000 multiply-adds a row, about 160 us on both cores).
 * Rows of 64 different logit vectors in turn, so the row is not always in L1.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx1g"})
@State(Scope.Benchmark)
public class LogSumExpBenchmark {
    private static final int ROWS = 64;

    @Param({"32000", "128256"})
    public int vocab;

    private float[] logits;
    private int row;

    @Setup
    public void setup() {
        Random r = new Random(1);
        logits = new float[ROWS * vocab];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (3 * r.nextGaussian());
    }

    @Benchmark
    public double logSumExp() {
        row = (row + 1) % ROWS;
        return LogSoftmax.logSumExp(logits, row * vocab, vocab);
    }
}
