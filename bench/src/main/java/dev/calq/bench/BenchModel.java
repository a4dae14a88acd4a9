package dev.calq.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.Parallel;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.ModelLayout;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Hugging Face Llama folder with random bf16 weights of a real model's shape, for speed and memory benchmarks
 * at sizes the shared 58M model cannot show (its quality numbers mean nothing). The vocabulary, tokenizer and the
 * rest of config.json (special tokens, RoPE, norm epsilon) come from a small real model's folder; the shape from
 * {@link Shape}. Shards of at most {@code --max-shard-size} bytes with model.safetensors.index.json, as
 * transformers' save_pretrained(max_shard_size=...) writes them.
 *
 * <p>Weights are uniform with the standard deviation of transformers' initializer_range (0.02), norm weights 1.
 * Each row of each tensor draws from its own stream seeded by (seed, tensor name, row), so the bytes depend only
 * on the seed and the shape, not on the thread count.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.calq.bench.BenchModel \
 *     --shape llama-3.2-1b --tokenizer ../shared/models/tinyllama-en-58m --seed 0 --output /work/scratch/llama-1b</pre>
 */
public final class BenchModel {
    /** Decoder shapes of released models (their vocabulary is replaced by the tokenizer folder's). */
    public enum Shape {
        LLAMA_3_2_1B("llama-3.2-1b", 2048, 8192, 16, 32, 8, 64, true),
        LLAMA_3_2_3B("llama-3.2-3b", 3072, 8192, 28, 24, 8, 128, true),
        LLAMA_3_1_8B("llama-3.1-8b", 4096, 14336, 32, 32, 8, 128, false),
        TINYLLAMA_1_1B("tinyllama-1.1b", 2048, 5632, 22, 32, 4, 64, false),
        /** A few-megabyte shape for smoke runs and tests of the generator itself. */
        TINY("tiny", 64, 160, 2, 4, 2, 16, true),
        /** Small, but with a Hessian (1,536 wide) that dominates the heap as a real model's does: the heap-estimate test. */
        SMALL("small", 384, 1536, 2, 6, 2, 64, true);

        final String id;
        final int hidden, intermediate, layers, heads, kvHeads, headDim;
        final boolean tied;

        Shape(String id, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, boolean tied) {
            this.id = id;
            this.hidden = hidden;
            this.intermediate = intermediate;
            this.layers = layers;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            this.tied = tied;
        }

        static Shape of(String id) {
            for (Shape s : values()) if (s.id.equals(id)) return s;
            throw new CalqException("unknown --shape " + id + "; known: " + String.join(", ", java.util.Arrays.stream(values()).map(s -> s.id).toList()));
        }
    }

    static final double STD = 0.02;
    private static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer.model", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json");
    private static final int ROWS_PER_BLOCK = 64;

    private BenchModel() {}

    public static void main(String[] args) {
        Map<String, String> opts = new java.util.HashMap<>(Map.of("--seed", "0", "--max-shard-size", "1000000000"));
        for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i], args[i + 1]);
        if (!opts.containsKey("--shape") || !opts.containsKey("--tokenizer") || !opts.containsKey("--output") || args.length % 2 != 0) {
            System.err.println("usage: BenchModel --shape ID --tokenizer DIR --output DIR [--seed N] [--max-shard-size BYTES]");
            System.exit(2);
        }
        try {
            long t0 = System.nanoTime();
            Path out = Path.of(opts.get("--output"));
            write(Shape.of(opts.get("--shape")), Path.of(opts.get("--tokenizer")), Long.parseLong(opts.get("--seed")),
                    Long.parseLong(opts.get("--max-shard-size")), out);
            System.out.printf("wrote %s in %.1f s%n", out, (System.nanoTime() - t0) / 1e9);
        } catch (CalqException e) {
            System.err.println("BenchModel: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Writes the folder at {@code out} (which must not exist), under a temporary name renamed when complete. */
    public static void write(Shape shape, Path tokenizerDir, long seed, long maxShardBytes, Path out) {
        AtomicOutput.checkTarget(out, false, tokenizerDir);
        Path temp = AtomicOutput.tempSibling(out);
        try {
            Files.createDirectories(temp);
            ObjectMapper json = new ObjectMapper();
            Path baseConfig = tokenizerDir.resolve("config.json");
            if (!Files.isRegularFile(baseConfig)) throw CalqException.file(baseConfig, "missing; --tokenizer must be a Hugging Face model folder");
            ObjectNode config = (ObjectNode) json.readTree(baseConfig.toFile());
            config.put("hidden_size", shape.hidden);
            config.put("intermediate_size", shape.intermediate);
            config.put("num_hidden_layers", shape.layers);
            config.put("num_attention_heads", shape.heads);
            config.put("num_key_value_heads", shape.kvHeads);
            config.put("head_dim", shape.headDim);
            config.put("tie_word_embeddings", shape.tied);
            config.put("dtype", "bfloat16");
            Files.writeString(temp.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n", StandardCharsets.UTF_8);
            for (String f : TOKENIZER_FILES) {
                Path src = tokenizerDir.resolve(f);
                if (Files.isRegularFile(src)) Files.copy(src, temp.resolve(f));
            }
            ModelConfig c = ModelConfig.load(temp);
            try (SafetensorsWriter w = SafetensorsWriter.folder(temp, SafetensorsWriter.PT_METADATA, maxShardBytes)) {
                for (ModelLayout.ExpectedTensor t : new ModelLayout(c).expected()) {
                    long[] s = t.shape();
                    int cols = (int) s[s.length - 1];
                    long rows = t.numel() / cols;
                    boolean norm = s.length == 1;
                    w.add(t.name(), DType.BF16, s, o -> {
                        byte[] block = new byte[ROWS_PER_BLOCK * cols * 2];
                        for (long r0 = 0; r0 < rows; r0 += ROWS_PER_BLOCK) {
                            int n = (int) Math.min(ROWS_PER_BLOCK, rows - r0);
                            long first = r0;
                            Parallel.forRange(n, 4, (from, to) -> {
                                for (int r = from; r < to; r++) fillRow(block, r * cols * 2, cols, norm, seed, t.name(), first + r);
                            });
                            o.write(block, 0, n * cols * 2);
                        }
                    });
                }
                w.finish();
            }
            AtomicOutput.commit(temp, out, false);
        } catch (IOException e) {
            AtomicOutput.discard(temp);
            throw CalqException.file(out, "cannot write the benchmark model: " + e.getMessage());
        } catch (RuntimeException e) {
            AtomicOutput.discard(temp);
            throw e;
        }
    }

    /** One row as little-endian bf16: 1 for a norm weight, else uniform in [-a, a] with a = STD * sqrt(3). */
    static void fillRow(byte[] dst, int off, int cols, boolean norm, long seed, String name, long row) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (long) name.hashCode() << 32 ^ row);
        double a = STD * Math.sqrt(3);
        for (int j = 0; j < cols; j++) {
            float v = norm ? 1f : (float) ((rnd.nextDouble() * 2 - 1) * a);
            int bits = Float.floatToRawIntBits(v);
            int h = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16; // round to nearest even (values are finite)
            dst[off + 2 * j] = (byte) h;
            dst[off + 2 * j + 1] = (byte) (h >>> 8);
        }
    }
}
