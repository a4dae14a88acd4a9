package dev.calq.formats;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.llama.GgufModelConfig;
import dev.calq.formats.gguf.llama.GgufSentencePiece;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.GgufValue;
import dev.calq.formats.gguf.GgufValueType;
import dev.calq.formats.gguf.GgufWriter;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.safetensors.SafetensorsFile;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tokenizer.SentencePieceModelFile;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the public readers (safetensors, GGUF with its model config and tokenizer, importance matrices in
 * both formats, config.json, tokenizer.model): every mutated file is read or rejected with calq's own one-line error
 * naming the file, never another exception or a hang. About a second per kind by default; longer with
 * {@code -Dcalq.fuzz.seconds=60} (the total), and another seed with {@code -Dcalq.fuzz.seed=N}.
 */
class ReaderFuzzTest {
    private static final double SECONDS = Double.parseDouble(System.getProperty("calq.fuzz.seconds", "5"));
    private static final long SEED = Long.getLong("calq.fuzz.seed", 16);
    private static final int KINDS = 6;

    @TempDir Path dir;

    interface Reader { void read(Path file) throws Exception; }

    @Test void safetensors() throws Exception {
        Path f = dir.resolve("sample.safetensors");
        Random r = new Random(1);
        try (SafetensorsWriter w = SafetensorsWriter.file(f, SafetensorsWriter.PT_METADATA)) {
            w.add("a.weight", DType.F32, new long[] {3, 5}, MemorySegment.ofArray(floats(r, 15)));
            w.add("b.weight", DType.BF16, new long[] {4}, MemorySegment.ofArray(new byte[8]));
            w.add("c", DType.F16, new long[] {2, 2}, MemorySegment.ofArray(new byte[8]));
            w.finish();
        }
        fuzz("model.safetensors", Files.readAllBytes(f), file -> {
            try (SafetensorsFile s = SafetensorsFile.open(file)) {
                for (Tensor t : s.tensors()) {
                    if (t.dtype().isFloat()) {
                        t.toFloatArray();
                        dev.calq.formats.tensor.Finite.check(t, file.toString());
                    }
                }
            }
        });
    }

    @Test void gguf() throws Exception {
        Path f = dir.resolve("sample.gguf");
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.string("llama"));
        md.put("llama.embedding_length", GgufValue.u32(8));
        md.put("llama.feed_forward_length", GgufValue.u32(16));
        md.put("llama.block_count", GgufValue.u32(1));
        md.put("llama.attention.head_count", GgufValue.u32(2));
        md.put("llama.attention.head_count_kv", GgufValue.u32(1));
        md.put("llama.rope.freq_base", GgufValue.f32(10000f));
        md.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
        md.put("tokenizer.ggml.model", GgufValue.string("llama"));
        List<String> tokens = List.of("<unk>", "<s>", "</s>", "\u2581a", "b", "\u2581ab");
        md.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        md.put("tokenizer.ggml.scores", GgufValue.floats(new float[] {0, 0, 0, -1, -2, -3}));
        md.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, List.of(2, 3, 3, 1, 1, 1)));
        md.put("tokenizer.ggml.bos_token_id", GgufValue.u32(1));
        List<GgufWriter.Spec> specs = List.of(new GgufWriter.Spec("token_embd.weight", GgmlType.F32, new long[] {8, 6}),
                new GgufWriter.Spec("blk.0.ffn_down.weight", GgmlType.Q8_0, new long[] {32, 2}),
                new GgufWriter.Spec("output_norm.weight", GgmlType.F16, new long[] {8}));
        Random r = new Random(2);
        try (GgufWriter w = GgufWriter.create(f, false, md, specs)) {
            for (GgufTensorInfo t : w.tensorInfos()) {
                byte[] b = new byte[(int) t.byteSize()];
                r.nextBytes(b);
                w.write(t.name(), MemorySegment.ofArray(b));
            }
            w.finish();
        }
        fuzz("model.gguf", Files.readAllBytes(f), file -> {
            try (GgufFile g = GgufFile.open(file)) {
                for (GgufTensorInfo t : g.tensors()) g.data(t);
                for (GgufValue v : g.metadata().values()) v.toString();
                try {
                    GgufModelConfig.of(g);
                } finally {
                    GgufSentencePiece.read(g);
                }
            }
        });
    }

    @Test void imatrixGguf() throws Exception { imatrix(false); }

    @Test void imatrixLegacy() throws Exception { imatrix(true); }

    private void imatrix(boolean legacy) throws Exception {
        Random r = new Random(3);
        Map<String, ImportanceMatrix.Entry> m = new LinkedHashMap<>();
        m.put("blk.0.attn_q.weight", ImportanceMatrix.Entry.of(positive(r, 12), positive(r, 12), 100));
        m.put("blk.0.ffn_down.weight", ImportanceMatrix.Entry.of(positive(r, 20), null, 100));
        Path f = dir.resolve(legacy ? "sample.dat" : "sample-imatrix.gguf");
        new ImportanceMatrix(m, 2, 64, List.of("cal.txt")).write(f, legacy);
        fuzz(legacy ? "imatrix.dat" : "imatrix.gguf", Files.readAllBytes(f), file -> {
            ImportanceMatrix im = ImportanceMatrix.read(file);
            for (String name : im.entries().keySet()) im.importance(name);
        });
    }

    @Test void configJson() throws Exception {
        String json = "{\"architectures\":[\"Qwen2ForCausalLM\"],\"hidden_size\":64,\"intermediate_size\":96,\"num_hidden_layers\":2,"
                + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":100,\"rms_norm_eps\":1e-6,\"rope_theta\":1000000.0,"
                + "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                + "\"original_max_position_embeddings\":8192},\"tie_word_embeddings\":true,\"max_position_embeddings\":2048,"
                + "\"bos_token_id\":1,\"eos_token_id\":[2,3],\"torch_dtype\":\"bfloat16\"}";
        fuzz("config.json", json.getBytes(StandardCharsets.UTF_8), file -> ModelConfig.load(file.getParent()));
    }

    @Test void tokenizerModel() throws Exception {
        // A small SentencePiece model written field by field: pieces (text, score, type), then trainer_spec (BPE, byte_fallback).
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        String[] texts = {"<unk>", "<s>", "</s>", "\u2581a", "b", "\u2581ab", "<0x00>"};
        int[] types = {2, 3, 3, 1, 1, 1, 6};
        for (int i = 0; i < texts.length; i++) {
            java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
            byte[] t = texts[i].getBytes(StandardCharsets.UTF_8);
            p.write(0x0A); p.write(t.length); p.writeBytes(t);
            p.write(0x15); int bits = Float.floatToIntBits(-i); for (int k = 0; k < 4; k++) p.write(bits >>> (8 * k));
            p.write(0x18); p.write(types[i]);
            out.write(0x0A); out.write(p.size()); out.writeBytes(p.toByteArray());
        }
        byte[] trainer = {0x18, 0x02}; // model_type = BPE
        out.write(0x12); out.write(trainer.length); out.writeBytes(trainer);
        fuzz("tokenizer.model", out.toByteArray(), file -> {
            SentencePieceModelFile m = SentencePieceModelFile.read(file);
            for (int i = 0; i < m.vocabSize(); i++) m.piece(i);
        });
    }

    /** Mutates {@code sample} for this kind's share of the time budget, feeding each mutant to {@code reader}. */
    private void fuzz(String name, byte[] sample, Reader reader) throws Exception {
        Path sub = Files.createDirectories(dir.resolve("fuzz-" + name.replace('.', '-')));
        Path file = sub.resolve(name);
        Random rnd = new Random(SEED * 31 + name.hashCode());
        long deadline = System.nanoTime() + (long) (SECONDS / KINDS * 1e9);
        int runs = 0;
        Files.write(file, sample);
        reader.read(file); // the unmutated sample must read
        while (System.nanoTime() < deadline || runs < 50) {
            byte[] m = mutate(sample, rnd);
            Files.write(file, m);
            runs++;
            try {
                reader.read(file);
            } catch (CalqException e) {
                String msg = e.getMessage();
                assertTrue(msg != null && msg.startsWith(file.toString()) && !msg.contains("\n"),
                        name + " mutant " + runs + ": the error must be one line naming the file: " + msg);
            } catch (Throwable t) {
                Path keep = dir.resolve("failing-" + name);
                Files.write(keep, m);
                fail(name + " mutant " + runs + " (seed " + SEED + "): " + t, t);
            }
        }
    }

    private static byte[] mutate(byte[] s, Random r) {
        byte[] b = s.clone();
        switch (r.nextInt(5)) {
            case 0 -> { // flip a few bytes
                for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
            }
            case 1 -> { // an interesting 32- or 64-bit value at a random offset
                long[] vals = {0, 1, -1, 0x7fffffffL, 0x80000000L, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 0x7f800000L, 0x7fc00000L};
                long v = vals[r.nextInt(vals.length)];
                int width = r.nextBoolean() ? 4 : 8;
                int at = r.nextInt(Math.max(1, b.length - width));
                for (int k = 0; k < width && at + k < b.length; k++) b[at + k] = (byte) (v >>> (8 * k));
            }
            case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length)); // truncated
            case 3 -> { // a random span duplicated in place
                int from = r.nextInt(b.length), len = 1 + r.nextInt(Math.min(16, b.length - from));
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, from + len);
                System.arraycopy(b, from, out, from + len, b.length - from);
                b = out;
            }
            default -> { // a character that matters to JSON, or a zero or 0xff byte
                String chars = "0-9\"{}[],:.eE+ \u0000\u00ff";
                b[r.nextInt(b.length)] = (byte) chars.charAt(r.nextInt(chars.length()));
            }
        }
        return b;
    }

    private static byte[] floats(Random r, int n) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat((float) r.nextGaussian());
        return b.array();
    }

    private static float[] positive(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 1 + r.nextFloat();
        return v;
    }
}
