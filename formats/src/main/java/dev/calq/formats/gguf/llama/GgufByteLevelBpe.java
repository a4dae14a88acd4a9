package dev.calq.formats.gguf.llama;

import static dev.calq.formats.gguf.llama.GgufSentencePiece.bool;
import static dev.calq.formats.gguf.llama.GgufSentencePiece.fail;
import static dev.calq.formats.gguf.llama.GgufSentencePiece.id;
import static dev.calq.formats.gguf.llama.GgufSentencePiece.stringArray;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufValue;
import java.util.List;

/**
 * The byte-level BPE tokenizer a GGUF file carries as {@code tokenizer.ggml.model = "gpt2"}: tokens, token types,
 * merges and the pre-tokenizer name, rebuilt as the Hugging Face tokenizer.json it came from, so the same
 * tokenizers library that runs a model folder's tokenizer.json runs it. Normal tokens form the BPE vocabulary;
 * control tokens become special added tokens and user-defined ones plain added tokens (as the converter derived
 * those types from tokenizer.json's added_tokens); unused ones (the converter's {@code [PADi]} fillers) are left
 * out. The split regex and ignore_merges follow the pre name ({@link BpePreTokenizer}); add_bos_token is the file's,
 * or llama.cpp's default for that name.
 */
public record GgufByteLevelBpe(String tokenizerJson, int bosId, int eosId, boolean addBos, int vocabSize) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the vocabulary from {@code f}; an unknown pre-tokenizer name is refused with a hint. */
    public static GgufByteLevelBpe read(GgufFile f) {
        GgufValue kind = f.get("tokenizer.ggml.model");
        if (kind == null || !"gpt2".equals(kind.value())) throw fail(f, "tokenizer.ggml.model is not \"gpt2\" (byte-level BPE)");
        GgufValue preValue = f.get("tokenizer.ggml.pre");
        String preName = preValue != null && preValue.value() instanceof String s ? s : "default";
        BpePreTokenizer pre = BpePreTokenizer.forName(preName).orElseThrow(() -> fail(f, "tokenizer.ggml.pre \"" + preName
                + "\" is a byte-level BPE pre-tokenizer calq does not know (it knows " + knownNames() + "); pass the original model folder with --tokenizer DIR"));
        List<String> tokens = stringArray(f, "tokenizer.ggml.tokens");
        List<?> types = GgufSentencePiece.array(f, "tokenizer.ggml.token_type", tokens.size());
        List<String> merges = stringArray(f, "tokenizer.ggml.merges");
        int n = tokens.size();

        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        root.putNull("normalizer");
        ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true);
        if (pre.splitRegex() == null) {
            root.set("pre_tokenizer", byteLevel.deepCopy().put("use_regex", true));
        } else {
            ObjectNode seq = root.putObject("pre_tokenizer").put("type", "Sequence");
            ArrayNode parts = seq.putArray("pretokenizers");
            ObjectNode split = parts.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", pre.splitRegex());
            split.put("behavior", "Isolated").put("invert", false);
            parts.add(byteLevel.deepCopy().put("use_regex", false));
        }
        root.putNull("post_processor");
        root.set("decoder", byteLevel.deepCopy().put("use_regex", true));
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", pre.ignoreMerges());
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < n; i++) {
            int type = types == null ? GgufTokenizerMetadata.NORMAL : ((Number) types.get(i)).intValue();
            String t = tokens.get(i);
            switch (type) {
                case GgufTokenizerMetadata.CONTROL, GgufTokenizerMetadata.USER_DEFINED -> {
                    boolean special = type == GgufTokenizerMetadata.CONTROL;
                    added.addObject().put("id", i).put("content", t).put("single_word", false).put("lstrip", false)
                            .put("rstrip", false).put("normalized", !special).put("special", special);
                }
                case GgufTokenizerMetadata.UNUSED -> { }
                default -> {
                    if (vocab.has(t)) throw fail(f, "tokenizer.ggml.tokens[" + i + "] \"" + t + "\" appears twice");
                    vocab.put(t, i);
                }
            }
        }
        ArrayNode mergeList = model.putArray("merges");
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            int space = m.indexOf(' ');
            if (space <= 0 || space == m.length() - 1 || m.indexOf(' ', space + 1) >= 0)
                throw fail(f, "tokenizer.ggml.merges[" + i + "] \"" + m + "\" is not two tokens joined by one space");
            mergeList.add(m);
        }
        int bos = id(f, "tokenizer.ggml.bos_token_id", -1, n);
        int eos = id(f, "tokenizer.ggml.eos_token_id", -1, n);
        boolean addBos = bool(f, "tokenizer.ggml.add_bos_token", pre.addBosByDefault()) && bos >= 0;
        return new GgufByteLevelBpe(root.toString(), bos, eos, addBos, n);
    }

    private static String knownNames() {
        return String.join(", ", BpePreTokenizer.KNOWN.stream().flatMap(k -> k.names().stream()).toList());
    }
}
