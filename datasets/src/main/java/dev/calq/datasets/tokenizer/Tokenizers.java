package dev.calq.datasets.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufValue;
import dev.calq.formats.gguf.llama.GgufByteLevelBpe;
import dev.calq.formats.gguf.llama.GgufSentencePiece;
import dev.calq.formats.tokenizer.SentencePieceModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Opens the tokenizer of a Hugging Face model folder. A SentencePiece {@code tokenizer.model} (BPE) is preferred
 * when present: it is what llama.cpp reproduces, and the {@code tokenizer.json} converted from it differs on runs
 * of spaces. Otherwise {@code tokenizer.json} is run by the Hugging Face tokenizers library.
 *
 * <p>BOS/EOS and whether BOS is added come from {@code tokenizer_config.json} (add_bos_token, bos_token,
 * eos_token), then {@code config.json} (bos_token_id, eos_token_id), then the tokenizer files themselves: the
 * SentencePiece trainer ids, or the first special token of tokenizer.json's TemplateProcessing post-processor.
 */
public final class Tokenizers {
    /** Which tokenizer file to use. */
    public enum Choice { AUTO, SENTENCEPIECE, HUGGINGFACE }

    private static final ObjectMapper JSON = new ObjectMapper();

    private Tokenizers() {}

    /** The tokenizer of a model folder, or of a GGUF file (from its tokenizer.ggml.* metadata). */
    public static Tokenizer load(Path modelDir) { return load(modelDir, Choice.AUTO); }

    public static Tokenizer load(Path modelDir, Choice choice) {
        if (Files.isRegularFile(modelDir) && GgufFile.hasMagic(modelDir)) return fromGguf(modelDir);
        Path spm = modelDir.resolve("tokenizer.model");
        Path hf = modelDir.resolve("tokenizer.json");
        boolean hasSpm = Files.isRegularFile(spm), hasHf = Files.isRegularFile(hf);
        if (!hasSpm && !hasHf) throw CalqException.file(modelDir, "no tokenizer.json or tokenizer.model");
        JsonNode tokConfig = readJsonIfPresent(modelDir.resolve("tokenizer_config.json"));
        JsonNode config = readJsonIfPresent(modelDir.resolve("config.json"));

        SentencePieceModelFile spModel = null;
        if (hasSpm && choice != Choice.HUGGINGFACE) {
            spModel = SentencePieceModelFile.read(spm);
            if (spModel.modelType() != SentencePieceModelFile.ModelType.BPE) {
                if (choice == Choice.SENTENCEPIECE || !hasHf)
                    throw CalqException.file(spm, "SentencePiece model type " + spModel.modelType() + " is not supported (only BPE)");
                spModel = null; // a UNIGRAM model: fall back to tokenizer.json
            }
        }
        if (choice == Choice.SENTENCEPIECE && spModel == null) throw CalqException.file(modelDir, "no tokenizer.model");
        if (choice == Choice.HUGGINGFACE && !hasHf) throw CalqException.file(modelDir, "no tokenizer.json");

        if (spModel != null) {
            Map<String, Integer> ids = new HashMap<>();
            for (int i = 0; i < spModel.vocabSize(); i++) ids.putIfAbsent(spModel.piece(i).text(), i);
            int bos = specialId(tokConfig, "bos_token", config, "bos_token_id", ids, spModel.bosId(), modelDir);
            int eos = specialId(tokConfig, "eos_token", config, "eos_token_id", ids, spModel.eosId(), modelDir);
            boolean addBos = addBos(tokConfig, bos >= 0);
            return new SentencePieceTokenizer(spModel, bos, eos, addBos);
        }

        JsonNode tj = readJsonIfPresent(hf);
        Map<String, Integer> ids = new HashMap<>();
        int vocab = 0;
        for (var it = tj.path("model").path("vocab").properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            ids.putIfAbsent(e.getKey(), e.getValue().asInt());
            vocab = Math.max(vocab, e.getValue().asInt() + 1);
        }
        for (JsonNode t : tj.path("added_tokens")) {
            ids.put(t.path("content").asText(), t.path("id").asInt());
            vocab = Math.max(vocab, t.path("id").asInt() + 1);
        }
        int templateBos = templateFirstSpecial(tj, ids);
        int bos = specialId(tokConfig, "bos_token", config, "bos_token_id", ids, templateBos, modelDir);
        int eos = specialId(tokConfig, "eos_token", config, "eos_token_id", ids, -1, modelDir);
        boolean addBos = addBos(tokConfig, templateBos >= 0 && templateBos == bos);
        return HfTokenizer.load(hf, bos, eos, addBos, vocab);
    }

    /**
     * The tokenizer a GGUF file carries: SentencePiece (tokenizer.ggml.model "llama") or byte-level BPE ("gpt2",
     * rebuilt as a tokenizer.json for the tokenizers library), with its bos/eos ids and add_bos_token.
     */
    public static Tokenizer fromGguf(Path ggufFile) {
        try (GgufFile f = GgufFile.open(ggufFile)) {
            GgufValue kind = f.get("tokenizer.ggml.model");
            if (kind != null && "gpt2".equals(kind.value())) {
                GgufByteLevelBpe bpe = GgufByteLevelBpe.read(f);
                return HfTokenizer.fromJson(bpe.tokenizerJson(), ggufFile, bpe.bosId(), bpe.eosId(), bpe.addBos(), bpe.vocabSize());
            }
            GgufSentencePiece sp = GgufSentencePiece.read(f);
            return new SentencePieceTokenizer(sp.model(), sp.model().bosId(), sp.model().eosId(), sp.addBos(),
                    ggufFile + ": tokenizer.ggml.tokens");
        }
    }

    private static boolean addBos(JsonNode tokConfig, boolean fallback) {
        JsonNode v = tokConfig.path("add_bos_token");
        return v.isBoolean() ? v.asBoolean() : fallback;
    }

    /**
     * The id of a special token: tokenizer_config.json's token text (a string or an AddedToken object) looked up in
     * the vocabulary, else config.json's id (the first, when it is a list), else the fallback.
     */
    private static int specialId(JsonNode tokConfig, String tokenKey, JsonNode config, String idKey,
                                 Map<String, Integer> ids, int fallback, Path modelDir) {
        JsonNode t = tokConfig.path(tokenKey);
        String text = t.isTextual() ? t.asText() : t.path("content").isTextual() ? t.path("content").asText() : null;
        if (text != null) {
            Integer id = ids.get(text);
            if (id == null) throw CalqException.file(modelDir.resolve("tokenizer_config.json"), tokenKey + " \"" + text + "\" is not in the vocabulary");
            return id;
        }
        if (t.isNull() && tokConfig.has(tokenKey)) return -1; // explicitly no such token (e.g. Qwen has no BOS)
        JsonNode c = config.path(idKey);
        if (c.isArray() && !c.isEmpty()) c = c.get(0);
        if (c.isInt()) return c.asInt();
        return fallback;
    }

    /** The id of the special token that tokenizer.json's TemplateProcessing puts first for one sequence, or -1. */
    private static int templateFirstSpecial(JsonNode tj, Map<String, Integer> ids) {
        JsonNode pp = tj.path("post_processor");
        if ("Sequence".equals(pp.path("type").asText())) {
            for (JsonNode p : pp.path("processors")) if ("TemplateProcessing".equals(p.path("type").asText())) { pp = p; break; }
        }
        if (!"TemplateProcessing".equals(pp.path("type").asText())) return -1;
        JsonNode first = pp.path("single").path(0).path("SpecialToken");
        if (first.isMissingNode()) return -1;
        Integer id = ids.get(first.path("id").asText());
        return id == null ? -1 : id;
    }

    private static JsonNode readJsonIfPresent(Path file) {
        if (!Files.isRegularFile(file)) return JSON.missingNode();
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw CalqException.file(file, "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
