package dev.calq.formats.gguf.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.tokenizer.Piece;
import dev.calq.formats.tokenizer.SentencePieceModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.calq.formats.gguf.GgufValue;

/**
 * The tokenizer.* metadata llama.cpp needs, built from a Hugging Face folder the way convert_hf_to_gguf.py does:
 * a SentencePiece tokenizer.model becomes tokenizer.ggml.model "llama" (tokens, scores, token types); otherwise a
 * byte-level BPE tokenizer.json becomes "gpt2" (tokens, token types, merges, and a pre-tokenizer name). Special
 * token ids and add_bos/add_eos come from tokenizer_config.json, tokenizer.json and config.json.
 */
final class GgufTokenizerMetadata {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** GGUF token types (the SentencePiece piece type numbers). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private GgufTokenizerMetadata() {}

    static Map<String, GgufValue> build(Path dir, int vocabSize) {
        Map<String, GgufValue> md = new LinkedHashMap<>();
        JsonNode tokJson = readJson(dir.resolve("tokenizer.json"));
        JsonNode tokConfig = readJson(dir.resolve("tokenizer_config.json"));
        JsonNode config = readJson(dir.resolve("config.json"));
        int nTokens;
        if (Files.isRegularFile(dir.resolve("tokenizer.model"))) {
            nTokens = sentencePiece(dir, vocabSize, tokConfig, md);
        } else if (tokJson != null && "BPE".equals(tokJson.path("model").path("type").asText())) {
            nTokens = byteLevelBpe(dir, vocabSize, tokJson, md);
        } else {
            throw CalqException.file(dir, "no tokenizer.model (SentencePiece) or BPE tokenizer.json to convert");
        }
        specialTokens(tokJson, tokConfig, config, nTokens, md);
        return md;
    }

    private static int sentencePiece(Path dir, int vocabSize, JsonNode tokConfig, Map<String, GgufValue> md) {
        SentencePieceModelFile sp = SentencePieceModelFile.read(dir.resolve("tokenizer.model"));
        int n = Math.max(vocabSize, sp.vocabSize());
        List<String> tokens = new ArrayList<>(n);
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            if (i < vocabSize && i < sp.vocabSize()) {
                Piece p = sp.piece(i);
                tokens.add(p.text());
                scores[i] = p.score();
                types[i] = switch (p.type()) {
                    case UNKNOWN -> UNKNOWN;
                    case CONTROL -> CONTROL;
                    case UNUSED -> UNUSED;
                    case BYTE -> BYTE;
                    default -> NORMAL; // the converter does not single out user-defined pieces
                };
            } else {
                tokens.add("[PAD" + i + "]");
                scores[i] = -10000f;
                types[i] = UNUSED;
            }
        }
        if (n > vocabSize) { // ids beyond config's vocab_size are dropped by the converter
            tokens = tokens.subList(0, vocabSize);
            scores = java.util.Arrays.copyOf(scores, vocabSize);
            types = java.util.Arrays.copyOf(types, vocabSize);
        }
        // added_tokens_decoder entries replace pieces: special ones become CONTROL, others USER_DEFINED
        JsonNode added = tokConfig == null ? null : tokConfig.path("added_tokens_decoder");
        if (added != null && added.isObject()) {
            for (Map.Entry<String, JsonNode> e : added.properties()) {
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    continue;
                }
                if (id < 0 || id >= tokens.size()) continue;
                String content = e.getValue().path("content").asText();
                if (e.getValue().path("special").asBoolean(false) || looksSpecial(content)) {
                    types[id] = CONTROL;
                } else {
                    content = content.replace('\u2581', ' ');
                    types[id] = USER_DEFINED;
                }
                scores[id] = -1000f;
                tokens.set(id, content);
            }
        }
        JsonNode prefix = tokConfig == null ? null : tokConfig.get("add_prefix_space");
        if (prefix != null && prefix.isBoolean()) md.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(prefix.asBoolean()));
        md.put("tokenizer.ggml.model", GgufValue.string("llama"));
        md.put("tokenizer.ggml.pre", GgufValue.string("default"));
        md.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        md.put("tokenizer.ggml.scores", GgufValue.floats(scores));
        md.put("tokenizer.ggml.token_type", GgufValue.int32s(types));
        return tokens.size();
    }

    private static int byteLevelBpe(Path dir, int vocabSize, JsonNode tok, Map<String, GgufValue> md) {
        Path file = dir.resolve("tokenizer.json");
        Map<Integer, String> byId = new HashMap<>();
        tok.path("model").path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        Map<Integer, JsonNode> added = new HashMap<>();
        for (JsonNode a : tok.path("added_tokens")) {
            added.put(a.path("id").asInt(), a);
            byId.put(a.path("id").asInt(), a.path("content").asText());
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (maxId >= vocabSize) throw CalqException.file(file, "token id " + maxId + " is not below config.json's vocab_size " + vocabSize);
        List<String> tokens = new ArrayList<>(vocabSize);
        int[] types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens.add("[PAD" + i + "]");
                types[i] = UNUSED;
            } else if (added.containsKey(i)) {
                if (added.get(i).path("special").asBoolean(false) || looksSpecial(t)) types[i] = CONTROL;
                else {
                    t = t.replace('\u2581', ' ');
                    types[i] = USER_DEFINED;
                }
                tokens.add(t);
            } else {
                tokens.add(t);
                types[i] = NORMAL;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : tok.path("model").path("merges")) {
            if (m.isTextual()) merges.add(m.asText());
            else if (m.isArray() && m.size() == 2) merges.add(spaceEscaped(m.get(0).asText()) + " " + spaceEscaped(m.get(1).asText()));
            else throw CalqException.file(file, "unknown merges format");
        }
        md.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        md.put("tokenizer.ggml.pre", GgufValue.string(preTokenizerName(file, tok)));
        md.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        md.put("tokenizer.ggml.token_type", GgufValue.int32s(types));
        md.put("tokenizer.ggml.merges", GgufValue.strings(merges));
        return tokens.size();
    }

    /** Merges given as pairs may hold spaces; the GGUF list joins with a space, so spaces move to U+0120. */
    private static String spaceEscaped(String s) { return s.replace(' ', '\u0120'); }

    /**
     * llama.cpp's converter names the pre-tokenizer by hashing the tokenizer's output on a probe text; calq does the
     * same through {@link PreTokenizerIdentifier}. When no identifier is on the class path or the hash is not a
     * known one, the split regex decides (with a warning): Llama 3 "llama-bpe", Qwen2/3 "qwen2", plain GPT-2
     * byte-level "gpt-2", else "default".
     */
    static String preTokenizerName(Path tokenizerJson, JsonNode tok) {
        Optional<PreTokenizerIdentifier> identifier = PreTokenizerIdentifier.find();
        String why;
        if (identifier.isEmpty()) {
            why = "no pre-tokenizer identifier available";
        } else {
            try {
                Optional<String> hashed = identifier.get().identify(tokenizerJson);
                if (hashed.isPresent()) return hashed.get();
                why = "the pre-tokenizer's probe hash is not one llama.cpp's converter knows";
            } catch (CalqException e) { // a tokenizer.json the tokenizers library refuses: the regex can still decide
                why = "cannot hash the probe text (" + e.getMessage() + ")";
            }
        }
        String byPattern = preTokenizerName(tok);
        System.err.println("warning: " + tokenizerJson + ": " + why + "; tokenizer.ggml.pre \"" + byPattern + "\" chosen from the split regex");
        return byPattern;
    }

    /** The pattern rule: llama.cpp's name for a known split regex. */
    static String preTokenizerName(JsonNode tok) {
        JsonNode pre = tok.path("pre_tokenizer");
        List<JsonNode> parts = new ArrayList<>();
        if ("Sequence".equals(pre.path("type").asText())) pre.path("pretokenizers").forEach(parts::add);
        else parts.add(pre);
        for (JsonNode p : parts) {
            if ("Split".equals(p.path("type").asText())) {
                Optional<String> name = BpePreTokenizer.nameForRegex(p.path("pattern").path("Regex").asText());
                if (name.isPresent()) return name.get();
            }
        }
        if (parts.size() == 1 && "ByteLevel".equals(parts.getFirst().path("type").asText()) && parts.getFirst().path("use_regex").asBoolean(true))
            return "gpt-2";
        return "default";
    }

    private static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** bos/eos/unk/sep/pad ids and add_bos/add_eos, following gguf-py's SpecialVocab. */
    private static void specialTokens(JsonNode tok, JsonNode tokConfig, JsonNode config, int nVocab, Map<String, GgufValue> md) {
        String[] kinds = {"bos", "eos", "unk", "sep", "pad"};
        Map<String, Integer> ids = new LinkedHashMap<>();
        Map<String, Boolean> add = new LinkedHashMap<>();
        if (tok != null) {
            JsonNode post = tok.path("post_processor");
            List<JsonNode> procs = new ArrayList<>();
            if (post.has("processors")) post.path("processors").forEach(procs::add);
            else if (post.isObject()) procs.add(post);
            String bos = contentOf(tokConfig, "bos_token"), eos = contentOf(tokConfig, "eos_token");
            for (JsonNode p : procs) {
                if (!"TemplateProcessing".equals(p.path("type").asText())) continue;
                JsonNode single = p.path("single");
                if (single.size() > 1) {
                    String first = single.get(0).path("SpecialToken").path("id").asText(null);
                    if (first != null) add.put("bos", first.equals(bos) || bos == null);
                    String last = single.get(single.size() - 1).path("SpecialToken").path("id").asText(null);
                    if (last != null) add.put("eos", last.equals(eos) || eos == null);
                }
            }
        }
        if (tokConfig != null) {
            for (String k : kinds) {
                JsonNode a = tokConfig.get("add_" + k + "_token");
                if (a != null && a.isBoolean()) add.put(k, a.asBoolean());
                String content = contentOf(tokConfig, k + "_token");
                if (content == null || tok == null) continue;
                for (JsonNode at : tok.path("added_tokens")) {
                    if (content.equals(at.path("content").asText(null))) {
                        putId(ids, k, at.path("id").asInt(-1), nVocab);
                        break;
                    }
                }
            }
        }
        if (config != null) {
            for (String k : kinds) {
                JsonNode v = config.get(k + "_token_id");
                if (v != null && v.isInt()) putId(ids, k, v.asInt(), nVocab);
            }
        }
        for (String k : kinds) if (ids.containsKey(k)) md.put(idKey(k), GgufValue.u32(ids.get(k)));
        // add_bos/add_eos are always written, from what the Hugging Face tokenizer does: with a tokenizer.json and no
        // explicit setting, its post-processor decides (none: nothing added); a SentencePiece-only folder adds BOS, as
        // LlamaTokenizer does. Left out, llama.cpp guesses from the pre-tokenizer name and may differ.
        add.putIfAbsent("bos", tok == null);
        add.putIfAbsent("eos", false);
        for (String k : kinds) if (add.containsKey(k)) md.put("tokenizer.ggml.add_" + k + "_token", GgufValue.bool(add.get(k)));
        if (tokConfig != null && tokConfig.path("chat_template").isTextual())
            md.put("tokenizer.chat_template", GgufValue.string(tokConfig.get("chat_template").asText()));
    }

    /** The metadata key llama.cpp reads for a special token kind (gguf-py's spellings, "seperator" included). */
    static String idKey(String kind) {
        return "tokenizer.ggml." + switch (kind) {
            case "unk" -> "unknown";
            case "sep" -> "seperator";
            case "pad" -> "padding";
            default -> kind;
        } + "_token_id";
    }

    private static void putId(Map<String, Integer> ids, String kind, int id, int nVocab) {
        if (id >= 0 && id < nVocab) ids.putIfAbsent(kind, id);
    }

    private static String contentOf(JsonNode cfg, String key) {
        if (cfg == null) return null;
        JsonNode v = cfg.get(key);
        if (v == null) return null;
        if (v.isTextual()) return v.asText();
        if (v.isObject() && v.path("content").isTextual()) return v.get("content").asText();
        return null;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            String msg = String.valueOf(e.getMessage());
            throw CalqException.file(file, "invalid JSON: " + (msg.contains("\n") ? msg.substring(0, msg.indexOf('\n')) : msg));
        }
    }
}
