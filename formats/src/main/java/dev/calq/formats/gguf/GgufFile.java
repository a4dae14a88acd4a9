package dev.calq.formats.gguf;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file opened read-only and memory-mapped. Opening validates the whole structure (magic, version, counts,
 * lengths, types, offsets, alignment, tensor extents) and fails with one {@link CalqException} naming the file and
 * the fault; nothing is allocated beyond what the file's remaining bytes could hold.
 */
public final class GgufFile implements AutoCloseable {
    private static final int MAX_ARRAY_NESTING = 32;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> byName;
    private final long alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        GgufCursor in = new GgufCursor(file, path);
        if (file.byteSize() < 4 || in.i32() != Gguf.MAGIC) throw fail("not a GGUF file (bad magic)");
        version = in.i32();
        if (version != 2 && version != 3) throw fail("unsupported GGUF version " + Integer.toUnsignedString(version) + " (2 and 3 are read)");
        long nTensors = in.i64();
        long nKv = in.i64();
        // Each tensor info takes at least 8+4+8+4+8 bytes, each pair at least 8+4+1: counts beyond that are lies.
        if (nTensors < 0 || nTensors > in.remaining() / 32) throw fail("tensor count " + Long.toUnsignedString(nTensors) + " does not fit in the file");
        if (nKv < 0 || nKv > in.remaining() / 13) throw fail("metadata count " + Long.toUnsignedString(nKv) + " does not fit in the file");
        Map<String, GgufValue> md = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = in.string("metadata key " + i);
            if (key.isEmpty()) throw fail("metadata key " + i + " is empty");
            int typeId = in.i32();
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) throw fail("metadata " + key + " has unknown value type " + typeId);
            Object value = readValue(in, type, key, 0);
            if (md.put(key, new GgufValue(type, value)) != null) throw fail("duplicate metadata key " + key);
        }
        metadata = Collections.unmodifiableMap(md);
        alignment = alignmentOf(md);
        List<GgufTensorInfo> list = new ArrayList<>((int) Math.min(nTensors, 1 << 16));
        Map<String, GgufTensorInfo> names = new HashMap<>();
        for (long i = 0; i < nTensors; i++) {
            String name = in.string("tensor name " + i);
            if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Gguf.MAX_NAME_BYTES) throw fail("tensor name " + i + " is longer than " + Gguf.MAX_NAME_BYTES + " bytes");
            int nDims = in.i32();
            if (nDims < 1 || nDims > Gguf.MAX_DIMS) throw fail("tensor " + name + " has " + Integer.toUnsignedString(nDims) + " dims (1 to " + Gguf.MAX_DIMS + ")");
            long[] ne = new long[nDims];
            long count = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = in.i64();
                if (ne[d] < 0) throw fail("tensor " + name + " has a negative dimension");
                if (ne[d] == 0) throw fail("tensor " + name + " has a zero dimension (ne[" + d + "] = 0)");
                if (ne[d] != 0 && count > Long.MAX_VALUE / ne[d]) throw fail("tensor " + name + " has too many elements");
                count *= ne[d];
            }
            int typeId = in.i32();
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) throw fail("tensor " + name + " has unknown ggml type " + typeId);
            if (ne[0] % type.blockSize() != 0) throw fail("tensor " + name + " row length " + ne[0] + " is not a multiple of " + type + "'s block size " + type.blockSize());
            long offset = in.i64();
            if (offset < 0 || offset % alignment != 0) throw fail("tensor " + name + " offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            GgufTensorInfo t = new GgufTensorInfo(name, type, ne, offset);
            if (names.put(name, t) != null) throw fail("duplicate tensor name " + name);
            list.add(t);
        }
        tensors = Collections.unmodifiableList(list);
        byName = names;
        dataOffset = Gguf.pad(in.position(), alignment);
        long dataSize = file.byteSize() - dataOffset;
        if (!tensors.isEmpty() && dataSize < 0) throw fail("truncated before the data section");
        List<GgufTensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        long end = 0;
        for (GgufTensorInfo t : sorted) {
            long size = byteSizeChecked(t);
            if (t.offset() < end) throw fail("tensor " + t.name() + " overlaps the tensor before it");
            if (t.offset() > dataSize || size > dataSize - t.offset())
                throw fail("tensor " + t.name() + " data (" + size + " bytes at " + t.offset() + ") extends past the end of the file (truncated?)");
            end = t.offset() + size;
        }
        // ggml pads every tensor, the last included, and reads the padded data section back whole.
        if (!sorted.isEmpty() && Gguf.pad(end, alignment) > dataSize)
            throw fail("data section ends before the padding after the last tensor (truncated?)");
    }

    /** Opens and validates {@code path}. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (IOException e) {
            arena.close();
            throw CalqException.file(path, "cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            if (e instanceof CalqException) throw e;
            throw CalqException.file(path, "malformed GGUF: " + e);
        }
    }

    /** Reads only whether the file starts with the GGUF magic. */
    public static boolean hasMagic(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) { /* fill */ }
            return b.position() == 4 && b.getInt(0) == Gguf.MAGIC;
        } catch (IOException e) {
            throw CalqException.file(path, "cannot read: " + e.getMessage());
        }
    }

    public Path path() { return path; }

    public int version() { return version; }

    public Map<String, GgufValue> metadata() { return metadata; }

    public GgufValue get(String key) { return metadata.get(key); }

    /** The tensors in file order. */
    public List<GgufTensorInfo> tensors() { return tensors; }

    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) throw fail("no tensor " + name);
        return t;
    }

    public boolean hasTensor(String name) { return byName.containsKey(name); }

    public long alignment() { return alignment; }

    /** File offset where the data section starts. */
    public long dataOffset() { return dataOffset; }

    /** A view of the tensor's raw bytes (valid until {@link #close()}). */
    public MemorySegment data(GgufTensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    public MemorySegment data(String name) { return data(tensor(name)); }

    /** An F32 tensor's values as floats. */
    public float[] floats(String name) {
        GgufTensorInfo t = tensor(name);
        if (t.type() != GgmlType.F32) throw fail("tensor " + name + " is " + t.type() + ", expected F32");
        if (t.elementCount() > Integer.MAX_VALUE - 8) throw fail("tensor " + name + " is too large for one array");
        return data(t).toArray(dev.calq.formats.tensor.Tensor.F32);
    }

    @Override public void close() { arena.close(); }

    private CalqException fail(String problem) { return CalqException.file(path, problem); }

    private long alignmentOf(Map<String, GgufValue> md) {
        GgufValue a = md.get(Gguf.KEY_ALIGNMENT);
        if (a == null) return Gguf.DEFAULT_ALIGNMENT;
        if (a.type() != GgufValueType.UINT32) throw fail(Gguf.KEY_ALIGNMENT + " must be UINT32, not " + a.type());
        long v = a.asLong();
        if (v == 0 || (v & (v - 1)) != 0) throw fail(Gguf.KEY_ALIGNMENT + " " + v + " is not a power of two");
        return v;
    }

    private long byteSizeChecked(GgufTensorInfo t) {
        long rows = 1;
        long[] ne = t.ne();
        for (int i = 1; i < ne.length; i++) rows *= ne[i];
        long blocks = ne[0] / t.type().blockSize();
        long row = blocks * t.type().typeSize();
        if (blocks != 0 && row / blocks != t.type().typeSize()) throw fail("tensor " + t.name() + " is too large");
        if (rows != 0 && row > Long.MAX_VALUE / rows) throw fail("tensor " + t.name() + " is too large");
        return row * rows;
    }

    private Object readValue(GgufCursor in, GgufValueType type, String key, int depth) {
        return switch (type) {
            case UINT8 -> in.u8();
            case INT8 -> (int) (byte) in.u8();
            case UINT16 -> in.i16() & 0xffff;
            case INT16 -> (int) (short) in.i16();
            case UINT32 -> in.i32() & 0xffffffffL;
            case INT32 -> in.i32();
            case FLOAT32 -> Float.intBitsToFloat(in.i32());
            case BOOL -> {
                int b = in.u8();
                if (b > 1) throw fail("metadata " + key + " has a BOOL that is neither 0 nor 1");
                yield b == 1;
            }
            case STRING -> in.string("metadata " + key);
            case UINT64, INT64 -> in.i64();
            case FLOAT64 -> Double.longBitsToDouble(in.i64());
            case ARRAY -> {
                if (depth >= MAX_ARRAY_NESTING) throw fail("metadata " + key + " nests arrays deeper than " + MAX_ARRAY_NESTING);
                int elemId = in.i32();
                GgufValueType elem = GgufValueType.fromId(elemId);
                if (elem == null) throw fail("metadata " + key + " is an array of unknown type " + elemId);
                long n = in.i64();
                if (n < 0 || n > in.remaining() / elem.minBytes())
                    throw fail("metadata " + key + " array of " + Long.toUnsignedString(n) + " " + elem + " does not fit in the file");
                // Scalars and strings are held packed (about one byte of heap per byte of file, not 26 boxed);
                // only arrays of arrays are read element by element.
                if (elem != GgufValueType.ARRAY) yield new GgufArray(elem, PackedList.read(in, elem, n, key, path));
                List<Object> items = new ArrayList<>((int) Math.min(n, 1 << 16));
                for (long i = 0; i < n; i++) items.add(readValue(in, elem, key, depth + 1));
                yield new GgufArray(elem, items);
            }
        };
    }
}
