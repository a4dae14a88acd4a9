package dev.calq.datasets.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.gguf.llama.PreTokenizerIdentifier;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * llama.cpp's converter's way of naming a BPE pre-tokenizer: encode a fixed probe text with the tokenizer (special
 * tokens added as its post-processor adds them), take the sha256 of the ids written as Python prints a list
 * ({@code [1, 2, 3]}), and look the hash up in a table of known tokenizers. The probe text and the table are facts
 * copied as data from llama.cpp's {@code conversion/base.py} ({@code llama-cpp-pre-hashes.json}, which says where).
 */
public final class LlamaCppPreTokenizerHash implements PreTokenizerIdentifier {
    private static final String RESOURCE = "llama-cpp-pre-hashes.json";
    private static volatile Table table;

    private record Table(String probe, Map<String, String> names) {}

    public LlamaCppPreTokenizerHash() {}

    @Override
    public Optional<String> identify(Path tokenizerJson) {
        try (HfTokenizer tok = HfTokenizer.load(tokenizerJson, -1, -1, false, 0)) {
            return Optional.ofNullable(table().names().get(hash(tok.encodeWithPostProcessor(table().probe()))));
        }
    }

    /** The probe text llama.cpp's converter tokenizes. */
    public static String probeText() { return table().probe(); }

    /** The tokenizer.ggml.pre name for a probe hash, or null. */
    public static String nameOfHash(String sha256Hex) { return table().names().get(sha256Hex); }

    /** sha256 (lower-case hex) of the ids in Python's list notation, as the converter hashes them. */
    public static String hash(int[] ids) {
        String text = Arrays.toString(ids); // "[1, 2, 3]", the same as Python's str(list)
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Table table() {
        Table t = table;
        if (t != null) return t;
        try (InputStream in = LlamaCppPreTokenizerHash.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            JsonNode root = new ObjectMapper().readTree(in);
            Map<String, String> names = new HashMap<>();
            root.path("hashes").properties().forEach(e -> names.put(e.getKey(), e.getValue().asText()));
            table = t = new Table(root.path("chktxt").asText(), Map.copyOf(names));
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
