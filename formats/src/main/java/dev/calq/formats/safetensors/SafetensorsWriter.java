package dev.calq.formats.safetensors;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Streams tensors into safetensors files the way Hugging Face writes them, with memory bounded by one copy buffer.
 *
 * <p>The header (which lists every tensor's offsets) precedes the data, but callers produce tensors one at a time.
 * So each shard's data is appended to a temporary file beside the output as it arrives, and {@link #finish()}
 * assembles the real file: 8-byte header length, compact JSON header padded with spaces to a multiple of 8, then
 * the data copied from the temporary file (a kernel-side channel transfer) in Hugging Face's order — by dtype size,
 * largest first, then by name — which keeps every tensor aligned to its element size. Only the (name, dtype,
 * shape) list stays in memory. The cost is writing the data twice to disk.
 *
 * <p>Sharding follows huggingface_hub: tensors go, in the order added, into the current shard until adding one
 * would pass {@code maxShardBytes} (a larger tensor gets a shard to itself). One shard is written as
 * {@code model.safetensors}; several as {@code model-00001-of-0000N.safetensors} plus
 * {@code model.safetensors.index.json} (metadata.total_size and weight_map, sorted keys, two-space indent).
 * Every file is written under a temporary name and renamed when complete.
 */
public final class SafetensorsWriter implements AutoCloseable {
    /** The metadata transformers writes for PyTorch weights. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");
    /** Hugging Face's default max_shard_size, "5GB". */
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    /** Writes a tensor's bytes (little-endian, row-major) to {@code out}; must write exactly the declared size. */
    @FunctionalInterface
    public interface TensorBytes {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Spec(String name, DType dtype, long[] shape, long offsetInTemp, long bytes) {}

    private static final class Shard {
        final Path temp;
        final FileChannel channel;
        final List<Spec> specs = new ArrayList<>();
        long bytes;

        Shard(Path temp) throws IOException {
            this.temp = temp;
            this.channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int COPY_CHUNK = 1 << 20;

    private final Path target;       // the file (single-file mode) or the folder
    private final boolean folderMode;
    private final Map<String, String> metadata;
    private final long maxShardBytes;
    private final List<Shard> shards = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final ByteBuffer copyBuffer = ByteBuffer.allocateDirect(COPY_CHUNK);
    private boolean done;

    private SafetensorsWriter(Path target, boolean folderMode, Map<String, String> metadata, long maxShardBytes) {
        this.target = target;
        this.folderMode = folderMode;
        this.metadata = metadata == null ? Map.of() : new LinkedHashMap<>(metadata);
        this.maxShardBytes = maxShardBytes;
    }

    /** Writes one .safetensors file at {@code file} (no sharding). */
    public static SafetensorsWriter file(Path file, Map<String, String> metadata) {
        return new SafetensorsWriter(file, false, metadata, Long.MAX_VALUE);
    }

    /**
     * Writes a model's weights into {@code folder} (created if absent): {@code model.safetensors}, or shards of at
     * most {@code maxShardBytes} of tensor data each plus the index.
     */
    public static SafetensorsWriter folder(Path folder, Map<String, String> metadata, long maxShardBytes) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive");
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw CalqException.file(folder, "cannot create folder: " + e.getMessage());
        }
        return new SafetensorsWriter(folder, true, metadata, maxShardBytes);
    }

    /** Adds a tensor whose little-endian bytes are {@code data}. */
    public void add(String name, DType dtype, long[] shape, MemorySegment data) {
        long bytes = checkSpec(name, dtype, shape);
        if (data.byteSize() != bytes)
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for shape " + Arrays.toString(shape) + " of " + dtype + " (" + bytes + " expected)");
        Shard shard = shardFor(bytes);
        try {
            long pos = shard.bytes;
            for (long off = 0; off < bytes; off += COPY_CHUNK) {
                int n = (int) Math.min(COPY_CHUNK, bytes - off);
                copyBuffer.clear();
                MemorySegment.copy(data, off, MemorySegment.ofBuffer(copyBuffer), 0, n);
                copyBuffer.limit(n);
                while (copyBuffer.hasRemaining()) shard.channel.write(copyBuffer, pos + off + copyBuffer.position());
            }
        } catch (IOException e) {
            throw fail(target, e);
        }
        record(shard, name, dtype, shape, bytes);
    }

    /** Adds a tensor (its name, dtype, shape and data). */
    public void add(Tensor t) { add(t.name(), t.dtype(), t.shape(), t.data()); }

    /** Adds a tensor whose bytes a callback produces, so that large computed tensors need not be held whole. */
    public void add(String name, DType dtype, long[] shape, TensorBytes writer) {
        long bytes = checkSpec(name, dtype, shape);
        Shard shard = shardFor(bytes);
        long start = shard.bytes;
        long[] written = {0};
        try {
            shard.channel.position(start);
            OutputStream raw = java.nio.channels.Channels.newOutputStream(shard.channel);
            OutputStream counting = new java.io.BufferedOutputStream(new OutputStream() {
                @Override public void write(int b) throws IOException { raw.write(b); written[0]++; }

                @Override public void write(byte[] b, int off, int len) throws IOException { raw.write(b, off, len); written[0] += len; }
            }, COPY_CHUNK);
            writer.writeTo(counting);
            counting.flush();
        } catch (IOException e) {
            throw CalqException.file(target, "cannot write tensor " + name + ": " + e.getMessage());
        }
        if (written[0] != bytes)
            throw new IllegalArgumentException(name + ": the writer produced " + written[0] + " bytes for shape "
                    + Arrays.toString(shape) + " of " + dtype + " (" + bytes + " expected)");
        record(shard, name, dtype, shape, bytes);
    }

    private long checkSpec(String name, DType dtype, long[] shape) {
        if (done) throw new IllegalStateException("writer already finished");
        if (name == null || name.isEmpty() || name.equals(SafetensorsFile.METADATA_KEY))
            throw new IllegalArgumentException("invalid tensor name: " + name);
        if (names.contains(name)) throw new IllegalArgumentException("tensor added twice: " + name);
        long numel = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            numel = Math.multiplyExact(numel, d);
        }
        return Math.multiplyExact(numel, (long) dtype.byteSize());
    }

    private Shard shardFor(long bytes) {
        Shard cur = shards.isEmpty() ? null : shards.getLast();
        if (cur == null || (!cur.specs.isEmpty() && cur.bytes + bytes > maxShardBytes)) {
            Path base = folderMode ? target.resolve("model-" + (shards.size() + 1) + ".data") : target;
            Path temp = AtomicOutput.tempSibling(base);
            try {
                cur = new Shard(temp);
            } catch (IOException e) {
                throw fail(target, e);
            }
            shards.add(cur);
        }
        return cur;
    }

    private void record(Shard shard, String name, DType dtype, long[] shape, long bytes) {
        shard.specs.add(new Spec(name, dtype, shape.clone(), shard.bytes, bytes));
        shard.bytes += bytes;
        names.add(name);
    }

    /** Assembles the final file(s) and renames them into place. Returns the files written (index last). */
    public List<Path> finish() {
        if (done) throw new IllegalStateException("writer already finished");
        done = true;
        List<Path> out = new ArrayList<>();
        try {
            if (shards.isEmpty()) shardFor(0);
            int n = shards.size();
            Map<String, String> weightMap = new TreeMap<>();
            long totalSize = 0;
            for (int i = 0; i < n; i++) {
                Shard s = shards.get(i);
                Path file = !folderMode ? target
                        : target.resolve(n == 1 ? SafetensorsModel.SINGLE_FILE : String.format("model-%05d-of-%05d.safetensors", i + 1, n));
                assemble(s, file);
                out.add(file);
                for (Spec sp : s.specs) weightMap.put(sp.name, file.getFileName().toString());
                totalSize += s.bytes;
            }
            if (n > 1) out.add(writeIndex(totalSize, weightMap));
            return out;
        } finally {
            discardTemps();
        }
    }

    /** HF's order inside a file: dtype size descending, then name (by UTF-8 bytes, as Rust compares strings). */
    static final Comparator<Spec> HF_ORDER = Comparator.<Spec>comparingInt(s -> -hfRank(s.dtype))
            .thenComparing(s -> s.name.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned);

    /** Position of a dtype in huggingface/safetensors' Dtype enum, which is ordered by alignment. */
    private static int hfRank(DType d) {
        return switch (d) {
            case BOOL -> 0;
            case U8 -> 1;
            case I8 -> 2;
            case I16 -> 5;
            case F16 -> 7;
            case BF16 -> 8;
            case I32 -> 9;
            case F32 -> 11;
            case F64 -> 12;
            case I64 -> 13;
        };
    }

    private void assemble(Shard s, Path file) {
        List<Spec> order = new ArrayList<>(s.specs);
        order.sort(HF_ORDER);
        byte[] header = header(order);
        Path temp = AtomicOutput.tempSibling(file);
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            while (head.hasRemaining()) out.write(head);
            for (Spec sp : order) {
                long done = 0;
                while (done < sp.bytes) {
                    long n = s.channel.transferTo(sp.offsetInTemp + done, sp.bytes - done, out);
                    if (n <= 0) throw new IOException("short transfer from " + s.temp);
                    done += n;
                }
            }
            out.force(false);
        } catch (IOException e) {
            AtomicOutput.discard(temp);
            throw fail(file, e);
        }
        AtomicOutput.commit(temp, file, true);
    }

    /** The compact JSON header as huggingface/safetensors writes it, padded with spaces to a multiple of 8 bytes. */
    private byte[] header(List<Spec> order) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(buf, JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsFile.METADATA_KEY);
                for (Map.Entry<String, String> e : metadata.entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
            }
            long off = 0;
            for (Spec sp : order) {
                g.writeObjectFieldStart(sp.name);
                g.writeStringField("dtype", sp.dtype.name());
                g.writeArrayFieldStart("shape");
                for (long d : sp.shape) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(off);
                g.writeNumber(off + sp.bytes);
                g.writeEndArray();
                g.writeEndObject();
                off += sp.bytes;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int pad = (8 - buf.size() % 8) % 8;
        for (int i = 0; i < pad; i++) buf.write(' ');
        return buf.toByteArray();
    }

    private Path writeIndex(long totalSize, Map<String, String> weightMap) {
        Path file = target.resolve(SafetensorsModel.INDEX_FILE);
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode wm = root.putObject("weight_map");
        weightMap.forEach(wm::put);
        // Python's json.dumps(indent=2, sort_keys=True): "key": value, two-space indent, newline at the end.
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        Path temp = AtomicOutput.tempSibling(file);
        try {
            Files.writeString(temp, JSON.writer(pp).writeValueAsString(root) + "\n");
        } catch (IOException e) {
            AtomicOutput.discard(temp);
            throw fail(file, e);
        }
        AtomicOutput.commit(temp, file, true);
        return file;
    }

    private void discardTemps() {
        for (Shard s : shards) {
            try {
                s.channel.close();
            } catch (IOException ignored) {
                // Closing a temporary file we are about to delete.
            }
            AtomicOutput.discard(s.temp);
        }
    }

    private static CalqException fail(Path file, IOException e) {
        return CalqException.file(file, "cannot write: " + e.getMessage());
    }

    /** Discards everything when {@link #finish()} was not reached (an error in the caller): no partial output. */
    @Override public void close() {
        if (!done) {
            done = true;
            discardTemps();
        }
    }
}
