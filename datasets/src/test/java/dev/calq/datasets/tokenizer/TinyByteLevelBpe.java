package dev.calq.datasets.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.gguf.GgufValue;
import dev.calq.formats.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small Llama-3-style byte-level BPE tokenizer for tests: the 256 GPT-2 byte symbols, a few merges (each
 * merged token added to the vocabulary), extra whole-word tokens no merge reaches, and two special tokens; written
 * as a tokenizer.json and as the GGUF tokenizer.ggml.* metadata llama.cpp's converter would write for it.
 */
final class TinyByteLevelBpe {
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    final List<String> tokens = new ArrayList<>();
    final List<String> merges = new ArrayList<>();
    final int bos, eos;

    /** @param mergePairs pairs "a b" of byte-level symbols, in rank order; @param wholeWords tokens with no merge path */
    TinyByteLevelBpe(List<String> mergePairs, List<String> wholeWords) {
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(byteSymbol(b)));
        for (String m : mergePairs) {
            merges.add(m);
            String joined = m.replace(" ", "");
            if (!tokens.contains(joined)) tokens.add(joined);
        }
        for (String w : wholeWords) if (!tokens.contains(w)) tokens.add(w);
        bos = tokens.size();
        tokens.add("<|begin_of_text|>");
        eos = tokens.size();
        tokens.add("<|end_of_text|>");
    }

    /** GPT-2's byte-to-symbol map: printable Latin-1 bytes stand for themselves, the rest shift to U+0100 onwards. */
    static char byteSymbol(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return (char) b;
        int n = 0;
        for (int c = 0; c < b; c++) if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) n++;
        return (char) (256 + n);
    }

    /** The tokenizer.json; {@code bosTemplate} adds BOS by a TemplateProcessing post-processor. */
    Path writeTokenizerJson(Path dir, boolean bosTemplate, boolean ignoreMerges) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id : new int[] {bos, eos})
            added.addObject().put("id", id).put("content", tokens.get(id)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
        ObjectNode split = pre.putArray("pretokenizers").addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", LLAMA3_SPLIT);
        split.put("behavior", "Isolated").put("invert", false);
        ((ArrayNode) pre.get("pretokenizers")).addObject().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", false);
        if (bosTemplate) {
            ObjectNode t = root.putObject("post_processor").put("type", "TemplateProcessing");
            t.putArray("single").addObject().putObject("SpecialToken").put("id", tokens.get(bos)).put("type_id", 0);
            ((ArrayNode) t.get("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            t.putArray("pair").addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            ((ArrayNode) t.get("pair")).addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            ObjectNode st = t.putObject("special_tokens").putObject(tokens.get(bos)).put("id", tokens.get(bos));
            st.putArray("ids").add(bos);
            st.putArray("tokens").add(tokens.get(bos));
        } else {
            root.putNull("post_processor");
        }
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", ignoreMerges);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < bos; i++) vocab.put(tokens.get(i), i);
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        Files.createDirectories(dir);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, root.toString());
        return file;
    }

    /** A GGUF holding only the tokenizer metadata, with {@code pre} as tokenizer.ggml.pre and add_bos if given. */
    Path writeGguf(Path file, String pre, Boolean addBos) {
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.string("llama"));
        md.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        md.put("tokenizer.ggml.pre", GgufValue.string(pre));
        md.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, 1);
        types[bos] = types[eos] = 3;
        md.put("tokenizer.ggml.token_type", GgufValue.int32s(types));
        md.put("tokenizer.ggml.merges", GgufValue.strings(merges));
        md.put("tokenizer.ggml.bos_token_id", GgufValue.u32(bos));
        md.put("tokenizer.ggml.eos_token_id", GgufValue.u32(eos));
        if (addBos != null) md.put("tokenizer.ggml.add_bos_token", GgufValue.bool(addBos));
        try (GgufWriter w = GgufWriter.create(file, false, md, List.of())) {
            w.finish();
        }
        return file;
    }
}
