package dev.calq.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Where calibration text comes from ({@code --calibration SRC}): a local plain-text file, a JSON Lines file (one
 * document per record, its {@code --text-field}), a folder of {@code .txt} files, or a WikiText raw file
 * ({@code wiki.*.raw}). The names {@code wikitext2}, {@code c4} and {@code pile-val} are downloaded (see
 * {@link RemoteDataset}) and then read as one of these kinds. Files ending in {@code .gz} or {@code .zst} are decompressed.
 *
 * <p>{@link #documents()} gives the documents (what AWQ-style sampling shuffles and filters); {@link #text()} gives
 * the whole text as one string (what GPTQ-style windows and llama.cpp-style chunks are cut from): a single file's
 * exact content, or the documents joined by a blank line.
 */
public record CalibrationSource(Kind kind, Path path, String textField) {
    public enum Kind {
        /** Plain text; documents are separated by blank lines (a file without blank lines is one document). */
        TEXT,
        /** JSON Lines; each record's text field is one document. */
        JSONL,
        /** A folder of .txt files, read in name order; each file is one document. */
        FOLDER,
        /** A WikiText raw file; each non-blank line (a heading or a paragraph, as the Hugging Face rows) is one document. */
        WIKITEXT
    }

    public static final String DEFAULT_TEXT_FIELD = "text";
    private static final ObjectMapper JSON = new ObjectMapper();

    public CalibrationSource {
        if (textField == null || textField.isBlank()) textField = DEFAULT_TEXT_FIELD;
    }

    /**
     * Resolves {@code --calibration SRC}: a remote dataset name (downloaded into the cache, or a clear error when
     * offline), an existing folder, or a file whose name decides its kind (.jsonl/.json[.gz] -> JSONL,
     * wiki.*.raw or .raw -> WIKITEXT, anything else -> TEXT). {@code textField} may be null (then "text").
     */
    public static CalibrationSource parse(String spec, String textField) {
        var remote = RemoteDataset.byName(spec);
        if (remote.isPresent()) return remote.get().fetch(RemoteDataset.defaultCacheDir(), RemoteDataset.DEFAULT_TIMEOUT);
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) return new CalibrationSource(Kind.FOLDER, p, textField);
        if (!Files.exists(p))
            throw CalqException.file(p, "no such file or folder (and not a named dataset: " + RemoteDataset.names() + ")");
        return new CalibrationSource(kindOfFile(p), p, textField);
    }

    static Kind kindOfFile(Path p) {
        String name = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".gz")) name = name.substring(0, name.length() - 3);
        if (name.endsWith(".zst")) name = name.substring(0, name.length() - 4);
        if (name.endsWith(".jsonl") || name.endsWith(".json")) return Kind.JSONL;
        if (name.endsWith(".raw")) return Kind.WIKITEXT;
        return Kind.TEXT;
    }

    /** The documents, in source order, none empty. */
    public List<String> documents() {
        return switch (kind) {
            case TEXT -> paragraphs(readText(path));
            case WIKITEXT -> readText(path).lines().filter(l -> !l.isBlank()).toList();
            case JSONL -> jsonLines();
            case FOLDER -> folderFiles().stream().map(CalibrationSource::readText).filter(s -> !s.isBlank()).toList();
        };
    }

    /** The whole text: a file's exact content, or (JSON Lines, folder) the documents joined by a blank line. */
    public String text() {
        return switch (kind) {
            case TEXT, WIKITEXT -> readText(path);
            case JSONL, FOLDER -> String.join("\n\n", documents());
        };
    }

    /** Splits at blank (whitespace-only) lines; each paragraph keeps its inner line breaks. */
    static List<String> paragraphs(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.isBlank()) {
                if (!cur.isEmpty()) out.add(cur.toString());
                cur.setLength(0);
            } else {
                if (!cur.isEmpty()) cur.append('\n');
                cur.append(line);
            }
        }
        if (!cur.isEmpty()) out.add(cur.toString());
        return out;
    }

    private List<String> jsonLines() {
        List<String> docs = new ArrayList<>();
        try (BufferedReader r = reader(path)) {
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    throw CalqException.file(path, "line " + lineNo + " is not valid JSON");
                }
                JsonNode t = node.get(textField);
                if (t == null || !t.isTextual())
                    throw CalqException.file(path, "line " + lineNo + " has no string field \"" + textField + "\" (choose one with --text-field)");
                if (!t.asText().isBlank()) docs.add(t.asText());
            }
        } catch (CharacterCodingException e) {
            throw CalqException.file(path, "not UTF-8 text");
        } catch (IOException e) {
            throw CalqException.file(path, "cannot read: " + e.getMessage());
        }
        return docs;
    }

    private List<Path> folderFiles() {
        try (Stream<Path> s = Files.list(path)) {
            List<Path> files = s.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".txt"))
                    .sorted().toList();
            if (files.isEmpty()) throw CalqException.file(path, "folder has no .txt files");
            return files;
        } catch (IOException e) {
            throw CalqException.file(path, "cannot list folder: " + e.getMessage());
        }
    }

    static String readText(Path file) {
        try (BufferedReader r = reader(file)) {
            StringBuilder sb = new StringBuilder();
            char[] buf = new char[1 << 16];
            for (int n; (n = r.read(buf)) > 0; ) sb.append(buf, 0, n);
            return sb.toString();
        } catch (NoSuchFileException e) {
            throw CalqException.file(file, "no such file");
        } catch (CharacterCodingException e) {
            throw CalqException.file(file, "not UTF-8 text");
        } catch (IOException e) {
            throw CalqException.file(file, "cannot read: " + e.getMessage());
        }
    }

    /** A strict UTF-8 reader (malformed bytes are an error, not silent replacement); .gz and .zst are decompressed. */
    private static BufferedReader reader(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        String name = file.getFileName().toString();
        if (name.endsWith(".gz")) in = new GZIPInputStream(in, 1 << 16);
        else if (name.endsWith(".zst")) in = new io.airlift.compress.zstd.ZstdInputStream(new java.io.BufferedInputStream(in, 1 << 16));
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        return new BufferedReader(new InputStreamReader(in, decoder), 1 << 16);
    }
}
