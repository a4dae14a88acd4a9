package dev.calq.bench;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.lang.foreign.MemorySegment;
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
 * ggml quantization throughput: one 256 x 4096 float32 matrix (4 MiB, a small projection's worth of rows) per
 * operation, rows spread over all cores by {@link Quantizers#quantize}. MB/s of float32 input = 4.194 / (s/op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class QuantizeBenchmark {
    static final int ROWS = 256;
    static final int COLS = 4096;

    @Param({"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    public String type;

    @Param({"false", "true"})
    public boolean imatrix;

    private GgmlType ggmlType;
    private float[] weights;
    private float[] importance;
    private MemorySegment out;

    @Setup
    public void setup() {
        ggmlType = GgmlType.valueOf(type);
        RandomRows rows = RandomRows.of(42, ROWS, COLS);
        weights = rows.weights();
        importance = rows.importance();
        out = MemorySegment.ofArray(new byte[Math.toIntExact(ROWS * ggmlType.rowBytes(COLS))]);
    }

    @Benchmark
    public MemorySegment quantize() {
        Quantizers.quantize(ggmlType, weights, ROWS, COLS, imatrix ? importance : null, out, 0);
        return out;
    }
}
