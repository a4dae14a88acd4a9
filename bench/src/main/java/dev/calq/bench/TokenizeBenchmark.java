package dev.calq.bench;

import dev.calq.datasets.tokenizer.SentencePieceTokenizer;
import dev.calq.formats.CalqException;
import dev.calq.formats.SharedData;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SentencePiece BPE encoding of the whole of wiki.test.raw (1,290,590 bytes, 335,687 tokens) with the Llama-2
 * tokenizer.model of the shared model, one thread. Needs ../shared (run from the checkout root).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class TokenizeBenchmark {
    private SentencePieceTokenizer tokenizer;
    private String text;

    @Setup
    public void setup() throws Exception {
        if (!SharedData.available()) throw new CalqException(SharedData.MISSING);
        tokenizer = SentencePieceTokenizer.load(SharedData.tinyLlama().resolve("tokenizer.model"));
        text = Files.readString(SharedData.wikiTest());
    }

    @Benchmark
    public int[] encodeWikiTestRaw() { return tokenizer.encode(text); }
}
