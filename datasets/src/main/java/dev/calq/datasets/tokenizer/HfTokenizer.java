package dev.calq.datasets.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.calq.formats.CalqException;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's bindings to the Rust tokenizers library (the native
 * library ships inside the DJL jar, so this works offline). DJL truncates to 512 tokens and adds the
 * post-processor's special tokens unless told otherwise; we turn both off, since BOS placement is ours.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
    private final HuggingFaceTokenizer hf;
    private final int bosId, eosId, vocabSize;
    private final boolean addBos;

    private HfTokenizer(HuggingFaceTokenizer hf, int bosId, int eosId, boolean addBos, int vocabSize) {
        this.hf = hf;
        this.bosId = bosId;
        this.eosId = eosId;
        this.addBos = addBos;
        this.vocabSize = vocabSize;
    }

    /**
     * Loads {@code tokenizerJson}; the special ids and add-BOS flag come from the caller (see {@link Tokenizers}),
     * and {@code vocabSize} from the file's model vocabulary plus added tokens.
     */
    public static HfTokenizer load(Path tokenizerJson, int bosId, int eosId, boolean addBos, int vocabSize) {
        if (!Files.isRegularFile(tokenizerJson)) throw CalqException.file(tokenizerJson, "no such file");
        try {
            return new HfTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, offlineOptions()), bosId, eosId, addBos, vocabSize);
        } catch (Exception | UnsatisfiedLinkError e) {
            throw CalqException.file(tokenizerJson, "cannot load Hugging Face tokenizer: " + e.getMessage());
        }
    }

    /** A tokenizer.json given as text (rebuilt from elsewhere); {@code source} is the file named in errors. */
    public static HfTokenizer fromJson(String tokenizerJson, Path source, int bosId, int eosId, boolean addBos, int vocabSize) {
        try (InputStream in = new ByteArrayInputStream(tokenizerJson.getBytes(StandardCharsets.UTF_8))) {
            return new HfTokenizer(HuggingFaceTokenizer.newInstance(in, offlineOptions()), bosId, eosId, addBos, vocabSize);
        } catch (Exception | UnsatisfiedLinkError e) {
            throw CalqException.file(source, "cannot build the Hugging Face tokenizer: " + e.getMessage());
        }
    }

    private static Map<String, String> offlineOptions() {
        // DJL would otherwise look for (and try to download) its native library and caches under ~/.djl.ai;
        // the bundled library is extracted from the jar, which needs no network.
        System.setProperty("ai.djl.offline", "true");
        return Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false",
                "modelMaxLength", String.valueOf(Integer.MAX_VALUE));
    }

    @Override
    public int[] encode(String text) {
        return toInts(hf.encode(text, false, false).getIds());
    }

    /** The ids with the special tokens tokenizer.json's post-processor adds (what {@code tokenizer.encode(text)} gives in Python). */
    public int[] encodeWithPostProcessor(String text) {
        return toInts(hf.encode(text, true, false).getIds());
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return hf.decode(l, true);
    }

    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public boolean addBos() { return addBos; }
    @Override public int vocabSize() { return vocabSize; }

    @Override
    public void close() { hf.close(); }
}
