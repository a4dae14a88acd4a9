package dev.calq.formats.gguf.llama;

import java.util.List;
import java.util.Optional;

/**
 * What a {@code tokenizer.ggml.pre} name means for a byte-level BPE ("gpt2") vocabulary, as llama.cpp's
 * {@code src/llama-vocab.cpp} (commit 3f545becc) sets it up: the pre-tokenizer split regex (written here as the
 * model's tokenizer.json writes it, which llama.cpp only re-spells), whether a pre-token found whole in the
 * vocabulary skips the merges ({@code ignore_merges}), and whether BOS is added when the file has no
 * {@code tokenizer.ggml.add_bos_token}. Only the names whose regex calq knows are listed.
 *
 * @param names       the tokenizer.ggml.pre names llama.cpp treats this way; the first is the one calq writes
 * @param splitRegex  the Split regex before ByteLevel, or null for GPT-2's own ByteLevel regex
 */
public record BpePreTokenizer(List<String> names, String splitRegex, boolean ignoreMerges, boolean addBosByDefault) {

    private static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Known kinds; for the pattern rule the first kind with a regex wins, so Llama 3's regex reads as "llama-bpe". */
    public static final List<BpePreTokenizer> KNOWN = List.of(
            new BpePreTokenizer(List.of("llama-bpe", "llama3", "llama-v3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"),
                    LLAMA3, true, true),
            new BpePreTokenizer(List.of("smaug-bpe", "dbrx"), LLAMA3, false, false),
            new BpePreTokenizer(List.of("qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "stablelm2"), QWEN2, false, false),
            new BpePreTokenizer(List.of("gpt-2", "phi-2"), null, false, false));

    public String name() { return names.getFirst(); }

    /** The kind llama.cpp gives a tokenizer.ggml.pre name. */
    public static Optional<BpePreTokenizer> forName(String name) {
        return KNOWN.stream().filter(k -> k.names.contains(name)).findFirst();
    }

    /** The name calq writes for a tokenizer.json Split regex (the pattern rule), if it is a known one. */
    public static Optional<String> nameForRegex(String regex) {
        return KNOWN.stream().filter(k -> regex.equals(k.splitRegex)).map(BpePreTokenizer::name).findFirst();
    }
}
