package dev.calq.formats.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One memory-mapped .safetensors file. Layout: an unsigned 64-bit little-endian header length N, N bytes of UTF-8
 * JSON ({name: {dtype, shape, data_offsets: [begin, end]}} plus an optional "__metadata__" string map), then the
 * data section; offsets are relative to the start of the data section.
 *
 * <p>Validation follows huggingface/safetensors (Metadata::validate and read_metadata): the header is at most
 * 100,000,000 bytes, the tensors sorted by offset must tile the data section exactly (no overlap, no hole, the last
 * one ends at the end of the file), and each tensor's byte length is its element count times its dtype size.
 *
 * <p>The tensors are zero-copy views into the mapping; they are valid until {@link #close()}. The mapping uses a
 * shared arena so that several threads may read the same file.
 */
public final class SafetensorsFile implements TensorSource {
    /** huggingface/safetensors refuses headers above this size (a guard against absurd allocations). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final Arena arena;
    private final long headerLength;
    private final long fileSize;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, long headerLength, long fileSize,
                            Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.headerLength = headerLength;
        this.fileSize = fileSize;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** One header entry before the data is mapped. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    /** Opens and validates {@code file}; every fault is a {@link CalqException} naming the file. */
    public static SafetensorsFile open(Path file) {
        if (Files.isDirectory(file)) throw CalqException.file(file, "is a folder, not a .safetensors file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw CalqException.file(file, "too short for a safetensors file (" + size + " bytes; the header length alone takes 8)");
            long n = readFully(ch, 0, 8, file).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > MAX_HEADER_BYTES)
                throw CalqException.file(file, "header length " + Long.toUnsignedString(n) + " exceeds the 100,000,000-byte limit (not a safetensors file?)");
            if (8 + n > size)
                throw CalqException.file(file, "header length " + n + " runs past the end of the file (" + size + " bytes; truncated?)");
            ByteBuffer headerBytes = readFully(ch, 8, (int) n, file);
            long dataStart = 8 + n;
            long dataSize = size - dataStart;
            JsonNode root = parseJson(headerBytes, file);
            Map<String, String> metadata = parseMetadata(root.get(METADATA_KEY), file);
            List<Entry> entries = parseEntries(root, dataSize, file);
            checkTiling(entries, dataSize, file);

            Arena arena = Arena.ofShared();
            try {
                MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                MemorySegment data = whole.asSlice(dataStart, dataSize);
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                for (Entry e : entries)
                    tensors.put(e.name, new Tensor(e.name, e.dtype, e.shape, data.asSlice(e.begin, e.end - e.begin)));
                return new SafetensorsFile(file, arena, n, size, Collections.unmodifiableMap(tensors), metadata);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw CalqException.file(file, "not found");
        } catch (IOException e) {
            throw CalqException.file(file, "cannot read: " + e.getMessage());
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long pos, int len, Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(len);
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) throw CalqException.file(file, "unexpected end of file while reading the header");
        }
        return buf.flip();
    }

    private static JsonNode parseJson(ByteBuffer header, Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(header.array(), 0, header.limit());
        } catch (JsonProcessingException e) {
            throw CalqException.file(file, "header is not valid JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw CalqException.file(file, "header is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject())
            throw CalqException.file(file, "header is not a JSON object");
        return root;
    }

    private static Map<String, String> parseMetadata(JsonNode node, Path file) {
        if (node == null || node.isNull()) return Map.of();
        if (!node.isObject()) throw CalqException.file(file, "\"__metadata__\" must be an object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual())
                throw CalqException.file(file, "\"__metadata__\" value for \"" + e.getKey() + "\" is not a string");
            out.put(e.getKey(), e.getValue().asText());
        }
        return Collections.unmodifiableMap(out);
    }

    private static List<Entry> parseEntries(JsonNode root, long dataSize, Path file) {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            String name = f.getKey();
            if (name.equals(METADATA_KEY)) continue;
            JsonNode t = f.getValue();
            String where = "tensor \"" + name + "\": ";
            if (!t.isObject()) throw CalqException.file(file, where + "expected an object with dtype, shape and data_offsets");
            JsonNode dt = t.get("dtype");
            if (dt == null || !dt.isTextual()) throw CalqException.file(file, where + "missing or non-string \"dtype\"");
            DType dtype = dtypeOf(dt.asText());
            if (dtype == null)
                throw CalqException.file(file, where + "unknown dtype " + dt.asText() + " (supported: " + supportedDtypes() + ")");
            long[] shape = longArray(t.get("shape"), -1, where, "\"shape\"", file);
            long[] off = longArray(t.get("data_offsets"), 2, where, "\"data_offsets\"", file);
            if (off[1] < off[0])
                throw CalqException.file(file, where + "data_offsets [" + off[0] + ", " + off[1] + "] end before they begin");
            if (off[1] > dataSize)
                throw CalqException.file(file, where + "data_offsets [" + off[0] + ", " + off[1] + "] lie outside the data section ("
                        + dataSize + " bytes)");
            long bytes;
            try {
                long numel = 1;
                for (long d : shape) numel = Math.multiplyExact(numel, d);
                bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
            } catch (ArithmeticException e) {
                throw CalqException.file(file, where + "shape " + java.util.Arrays.toString(shape) + " overflows");
            }
            if (off[1] - off[0] != bytes)
                throw CalqException.file(file, where + "data_offsets [" + off[0] + ", " + off[1] + "] hold " + (off[1] - off[0])
                        + " bytes but shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
            entries.add(new Entry(name, dtype, shape, off[0], off[1]));
        }
        return entries;
    }

    /** The data section must be covered exactly, as huggingface/safetensors requires: sorted by offset, no overlap, no hole. */
    private static void checkTiling(List<Entry> entries, long dataSize, Path file) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long pos = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin < pos)
                throw CalqException.file(file, "tensor \"" + e.name + "\" (bytes " + e.begin + ".." + e.end + ") overlaps tensor \""
                        + prev.name + "\" (bytes " + prev.begin + ".." + prev.end + ")");
            if (e.begin > pos)
                throw CalqException.file(file, "bytes " + pos + ".." + e.begin + " of the data section belong to no tensor (a hole before \""
                        + e.name + "\"); safetensors requires the tensors to cover the data exactly");
            pos = e.end;
            prev = e;
        }
        if (pos != dataSize)
            throw CalqException.file(file, "the last " + (dataSize - pos) + " bytes of the data section belong to no tensor"
                    + " (the tensors end at " + pos + " of " + dataSize + "); safetensors requires the tensors to cover the data exactly");
        entries.clear();
        entries.addAll(sorted);
    }

    private static long[] longArray(JsonNode n, int requiredLength, String where, String what, Path file) {
        if (n == null || !n.isArray() || (requiredLength >= 0 && n.size() != requiredLength))
            throw CalqException.file(file, where + "missing or malformed " + what
                    + (requiredLength >= 0 ? " (expected " + requiredLength + " integers)" : " (expected an array of integers)"));
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = n.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0)
                throw CalqException.file(file, where + what + " must hold non-negative integers, found " + v);
            out[i] = v.asLong();
        }
        return out;
    }

    static DType dtypeOf(String name) {
        for (DType d : DType.values()) if (d.name().equals(name)) return d;
        return null;
    }

    static String supportedDtypes() {
        return String.join(", ", java.util.Arrays.stream(DType.values()).map(Enum::name).toList());
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    public Path path() { return path; }

    /** Tensor names in the order of their data in the file. */
    @Override public Set<String> names() { return tensors.keySet(); }

    @Override public boolean contains(String name) { return tensors.containsKey(name); }

    @Override public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw CalqException.file(path, "no tensor named \"" + name + "\"");
        return t;
    }

    /** All tensors in file order. */
    public List<Tensor> tensors() { return List.copyOf(tensors.values()); }

    @Override public Map<String, String> metadata() { return metadata; }

    /** The JSON header's length in bytes (without the 8-byte length prefix). */
    public long headerLength() { return headerLength; }

    /** File size in bytes. */
    public long fileSize() { return fileSize; }

    /** Unmaps the file; the tensors obtained from it must not be used afterwards. */
    @Override public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
