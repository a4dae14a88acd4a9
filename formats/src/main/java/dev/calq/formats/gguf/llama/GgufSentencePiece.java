package dev.calq.formats.gguf.llama;

import dev.calq.formats.CalqException;
import dev.calq.formats.tokenizer.Piece;
import dev.calq.formats.tokenizer.SentencePieceModelFile;
import java.util.ArrayList;
import java.util.List;
import dev.calq.formats.gguf.GgufArray;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufValue;
import dev.calq.formats.gguf.GgufValueType;

/**
 * The SentencePiece model a GGUF file carries as {@code tokenizer.ggml.model = "llama"}: pieces from
 * tokenizer.ggml.tokens, scores and token_type (the same type numbers as SentencePiece's), with the settings
 * llama.cpp's SPM tokenizer assumes (BPE, byte fallback, spaces escaped to U+2581, a dummy prefix unless
 * tokenizer.ggml.add_space_prefix is false, no whitespace folding). {@code addBos} is tokenizer.ggml.add_bos_token,
 * true when absent as in llama.cpp.
 */
public record GgufSentencePiece(SentencePieceModelFile model, boolean addBos) {

    /** Reads the tokenizer from {@code f}'s metadata; a byte-level BPE ("gpt2") vocabulary is refused with a hint. */
    public static GgufSentencePiece read(GgufFile f) {
        GgufValue kind = f.get("tokenizer.ggml.model");
        if (kind == null) throw fail(f, "has no tokenizer (no tokenizer.ggml.model); pass the original model folder with --tokenizer DIR");
        String k = kind.value() instanceof String s ? s : String.valueOf(kind.value());
        if (!k.equals("llama"))
            throw fail(f, "tokenizer.ggml.model is \"" + k + "\", not a SentencePiece vocabulary (\"llama\")");
        List<String> tokens = stringArray(f, "tokenizer.ggml.tokens");
        List<?> scores = array(f, "tokenizer.ggml.scores", tokens.size());
        List<?> types = array(f, "tokenizer.ggml.token_type", tokens.size());
        List<Piece> pieces = new ArrayList<>(tokens.size());
        int unk = -1;
        for (int i = 0; i < tokens.size(); i++) {
            float score = scores == null ? 0f : ((Number) scores.get(i)).floatValue();
            Piece.Type type = types == null ? Piece.Type.NORMAL : Piece.Type.fromWire(((Number) types.get(i)).intValue());
            if (type == null) throw fail(f, "tokenizer.ggml.token_type[" + i + "] = " + types.get(i) + " is not a token type (1 to 6)");
            if (type == Piece.Type.UNKNOWN && unk < 0) unk = i;
            pieces.add(new Piece(tokens.get(i), score, type));
        }
        int n = tokens.size();
        unk = id(f, "tokenizer.ggml.unknown_token_id", unk < 0 ? 0 : unk, n);
        int bos = id(f, "tokenizer.ggml.bos_token_id", 1, n);
        int eos = id(f, "tokenizer.ggml.eos_token_id", 2, n);
        int pad = id(f, "tokenizer.ggml.padding_token_id", -1, n);
        SentencePieceModelFile model = new SentencePieceModelFile(pieces, SentencePieceModelFile.ModelType.BPE, "identity",
                bool(f, "tokenizer.ggml.add_space_prefix", true), false, true, false, true, unk, bos, eos, pad);
        return new GgufSentencePiece(model, bool(f, "tokenizer.ggml.add_bos_token", true));
    }

    static List<String> stringArray(GgufFile f, String key) {
        GgufValue v = f.get(key);
        if (v == null || !(v.value() instanceof GgufArray a) || a.elementType() != GgufValueType.STRING)
            throw fail(f, key + " is missing or not an array of strings");
        return a.strings();
    }

    /** An optional numeric array that must have one entry per token. */
    static List<?> array(GgufFile f, String key, int n) {
        GgufValue v = f.get(key);
        if (v == null) return null;
        if (!(v.value() instanceof GgufArray a) || a.elementType() == GgufValueType.STRING || a.elementType() == GgufValueType.ARRAY
                || a.elementType() == GgufValueType.BOOL)
            throw fail(f, key + " is not a numeric array");
        if (a.size() != n) throw fail(f, key + " has " + a.size() + " entries for " + n + " tokens");
        return a.items();
    }

    static int id(GgufFile f, String key, int fallback, int n) {
        GgufValue v = f.get(key);
        if (v == null) return fallback;
        if (!(v.value() instanceof Integer || v.value() instanceof Long)) throw fail(f, key + " is not an integer");
        long id = v.asLong();
        if (id < 0 || id >= n) throw fail(f, key + " = " + id + " is outside the vocabulary of " + n);
        return (int) id;
    }

    static boolean bool(GgufFile f, String key, boolean fallback) {
        GgufValue v = f.get(key);
        return v != null && v.value() instanceof Boolean b ? b : fallback;
    }

    static CalqException fail(GgufFile f, String problem) { return CalqException.file(f.path(), problem); }
}
