package dev.calq.formats.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A model's weights in safetensors, as Hugging Face stores them: a folder holding {@code model.safetensors}, or
 * {@code model.safetensors.index.json} whose "weight_map" sends each tensor name to one of several shard files; or
 * a single .safetensors file given directly. Names come in shard order, then file order within a shard.
 */
public final class SafetensorsModel implements TensorSource {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final Path index;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;

    private SafetensorsModel(Path path, Path index, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner) {
        this.path = path;
        this.index = index;
        this.files = files;
        this.owner = owner;
    }

    /** Opens a model folder (single file or sharded with an index) or one .safetensors file. */
    public static SafetensorsModel open(Path folderOrFile) {
        if (Files.isRegularFile(folderOrFile)) {
            if (folderOrFile.getFileName().toString().endsWith(".json")) return openIndex(folderOrFile, folderOrFile);
            return single(folderOrFile, SafetensorsFile.open(folderOrFile));
        }
        if (!Files.isDirectory(folderOrFile)) throw CalqException.file(folderOrFile, "not found");
        Path idx = folderOrFile.resolve(INDEX_FILE);
        if (Files.isRegularFile(idx)) return openIndex(folderOrFile, idx);
        Path one = folderOrFile.resolve(SINGLE_FILE);
        if (Files.isRegularFile(one)) return single(folderOrFile, SafetensorsFile.open(one));
        // Some exporters use another name for a lone file (e.g. older AutoGPTQ): accept exactly one .safetensors.
        List<Path> candidates;
        try (Stream<Path> s = Files.list(folderOrFile)) {
            candidates = s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw CalqException.file(folderOrFile, "cannot list: " + e.getMessage());
        }
        if (candidates.size() == 1) return single(folderOrFile, SafetensorsFile.open(candidates.getFirst()));
        throw CalqException.file(folderOrFile, candidates.isEmpty()
                ? "no " + SINGLE_FILE + " or " + INDEX_FILE + " (not a safetensors model folder)"
                : candidates.size() + " .safetensors files but no " + INDEX_FILE + " saying which tensor is where");
    }

    private static SafetensorsModel single(Path path, SafetensorsFile f) {
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        for (String n : f.names()) owner.put(n, f);
        return new SafetensorsModel(path, null, List.of(f), Collections.unmodifiableMap(owner));
    }

    private static SafetensorsModel openIndex(Path path, Path idx) {
        JsonNode root;
        try {
            root = JSON.readTree(idx.toFile());
        } catch (IOException e) {
            throw CalqException.file(idx, "invalid JSON: " + firstLine(e.getMessage()));
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw CalqException.file(idx, "missing \"weight_map\" object");
        Path dir = idx.toAbsolutePath().getParent();
        // Group names by shard, shards in name order (model-00001-of-N first).
        Map<String, List<String>> byShard = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual())
                throw CalqException.file(idx, "weight_map entry for \"" + e.getKey() + "\" is not a file name");
            byShard.computeIfAbsent(e.getValue().asText(), k -> new ArrayList<>()).add(e.getKey());
        }
        if (byShard.isEmpty()) throw CalqException.file(idx, "\"weight_map\" is empty");
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                String shardName = e.getKey();
                Path shard = dir.resolve(shardName).normalize();
                if (!shard.startsWith(dir))
                    throw CalqException.file(idx, "shard \"" + shardName + "\" lies outside the model folder");
                if (!Files.isRegularFile(shard))
                    throw CalqException.file(idx, "shard " + shardName + " (holding \"" + e.getValue().getFirst() + "\" and "
                            + (e.getValue().size() - 1) + " other tensors) not found in " + dir);
                SafetensorsFile f = SafetensorsFile.open(shard);
                files.add(f);
                Set<String> wanted = new java.util.HashSet<>(e.getValue());
                for (String n : e.getValue())
                    if (!f.contains(n)) throw CalqException.file(idx, "weight_map puts \"" + n + "\" in " + shardName + ", which has no such tensor");
                for (String n : f.names()) if (wanted.contains(n)) owner.put(n, f);
            }
        } catch (RuntimeException ex) {
            files.forEach(SafetensorsFile::close);
            throw ex;
        }
        return new SafetensorsModel(path, idx, List.copyOf(files), Collections.unmodifiableMap(owner));
    }

    /** The folder or file this model was opened from. */
    public Path path() { return path; }

    /** The index file when the model is sharded. */
    public Optional<Path> index() { return Optional.ofNullable(index); }

    /** The open files, shard order. */
    public List<SafetensorsFile> files() { return files; }

    /** The file holding {@code name}. */
    public SafetensorsFile fileOf(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) throw CalqException.file(index != null ? index : path, "no tensor named \"" + name + "\"");
        return f;
    }

    @Override public Set<String> names() { return owner.keySet(); }

    @Override public boolean contains(String name) { return owner.containsKey(name); }

    @Override public Tensor get(String name) { return fileOf(name).get(name); }

    /** The first file's __metadata__ (shards written by Hugging Face all carry the same). */
    @Override public Map<String, String> metadata() { return files.getFirst().metadata(); }

    /** Total size of the safetensors files in bytes. */
    public long bytesOnDisk() {
        long s = 0;
        for (SafetensorsFile f : files) s += f.fileSize();
        return s;
    }

    /** Total number of tensor elements. */
    public long parameterCount() {
        long s = 0;
        for (String n : names()) s += get(n).numel();
        return s;
    }

    @Override public void close() {
        for (SafetensorsFile f : files) f.close();
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
