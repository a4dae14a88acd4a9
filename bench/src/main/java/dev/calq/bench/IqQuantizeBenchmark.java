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
 * Codebook-type quantization throughput (always with importance weights, which IQ2_XXS, IQ2_XS and IQ1_S require):
 * one 64 x 4096 float32 matrix per operation on one thread (the codec directly, no fork-join), so the score is per
 * core. MB/s of float32 input = 1.049 / (s/op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class IqQuantizeBenchmark {
    static final int ROWS = 64;
    static final int COLS = 4096;

    @Param({"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    public String type;

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
        Quantizers.codec(ggmlType).quantize(weights, 0, 1, COLS, importance, out, 0); // builds the codebook's maps
    }

    @Benchmark
    public MemorySegment quantize() {
        Quantizers.codec(ggmlType).quantize(weights, 0, ROWS, COLS, importance, out, 0);
        return out;
    }
}
