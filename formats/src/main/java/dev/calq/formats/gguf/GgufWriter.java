package dev.calq.formats.gguf;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file without holding the tensor data: the header (metadata and every tensor's info, with the
 * offsets computed from the declared types and dims) goes out first, then each tensor's bytes are streamed in the
 * declared order. Output goes to a temporary sibling and is renamed into place by {@link #finish()}; closing
 * without finishing discards it.
 */
public final class GgufWriter implements AutoCloseable {
    /** A tensor to be written: name, type and ggml-order dims. */
    public record Spec(String name, GgmlType type, long[] ne) {}

    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private final FileChannel channel;
    private final List<GgufTensorInfo> infos;
    private final long alignment;
    private int next;
    private long written;
    private boolean finished;

    private GgufWriter(Path target, boolean overwrite, Map<String, GgufValue> metadata, List<Spec> specs) {
        this.target = target;
        this.overwrite = overwrite;
        this.alignment = alignmentOf(metadata, target);
        this.infos = layout(specs, alignment, target);
        this.temp = AtomicOutput.tempSibling(target);
        try {
            channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw CalqException.file(target, "cannot create output: " + e.getMessage());
        }
        try {
            writeFully(header(metadata, infos, alignment).toBuffer());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Magic, version, counts, metadata and tensor infos, padded to the alignment: everything before the data. */
    private static LittleEndianSink header(Map<String, GgufValue> metadata, List<GgufTensorInfo> infos, long alignment) {
        LittleEndianSink header = new LittleEndianSink();
        header.i32(Gguf.MAGIC);
        header.i32(Gguf.VERSION);
        header.i64(infos.size());
        header.i64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            header.string(e.getKey());
            header.i32(e.getValue().type().id());
            writeValue(header, e.getValue().type(), e.getValue().value());
        }
        for (GgufTensorInfo t : infos) {
            header.string(t.name());
            header.i32(t.nDims());
            for (long d : t.ne()) header.i64(d);
            header.i32(t.type().id());
            header.i64(t.offset());
        }
        header.padTo(alignment);
        return header;
    }

    /** The size {@link #create} with these arguments would write, without writing (llama-quantize's --dry-run). */
    public static long fileSize(Path target, Map<String, GgufValue> metadata, List<Spec> tensors) {
        Map<String, GgufValue> md = new LinkedHashMap<>(metadata);
        long alignment = alignmentOf(md, target);
        List<GgufTensorInfo> infos = layout(List.copyOf(tensors), alignment, target);
        long data = 0;
        for (GgufTensorInfo t : infos) data += Gguf.pad(t.byteSize(), alignment);
        return header(md, infos, alignment).size() + data;
    }

    /** Starts a file: metadata in insertion order, then the tensor infos; data follows via {@link #write}. */
    public static GgufWriter create(Path target, boolean overwrite, Map<String, GgufValue> metadata, List<Spec> tensors) {
        AtomicOutput.checkTarget(target, overwrite);
        return new GgufWriter(target, overwrite, new LinkedHashMap<>(metadata), List.copyOf(tensors));
    }

    /** The infos as they go into the file (offsets relative to the data section). */
    public List<GgufTensorInfo> tensorInfos() { return infos; }

    /** Appends the next tensor's data; {@code name} and the byte count must match the declared order and size. */
    public void write(String name, MemorySegment data) {
        write(name, sink -> sink.accept(data));
    }

    /**
     * Appends the next tensor's data in parts: {@code body} hands consecutive byte ranges to the sink it is given,
     * which must add up to the declared size (a large tensor is encoded and written a row block at a time).
     */
    public void write(String name, java.util.function.Consumer<java.util.function.Consumer<MemorySegment>> body) {
        if (finished) throw new IllegalStateException("already finished");
        if (next >= infos.size()) throw new IllegalStateException("all " + infos.size() + " tensors already written; extra: " + name);
        GgufTensorInfo t = infos.get(next);
        if (!t.name().equals(name)) throw new IllegalStateException("expected tensor " + t.name() + " next, got " + name);
        long[] given = {0};
        body.accept(part -> {
            if (given[0] + part.byteSize() > t.byteSize())
                throw new IllegalStateException(name + ": more than the " + t.byteSize() + " bytes expected for " + t);
            writeFully(part.asByteBuffer());
            given[0] += part.byteSize();
        });
        if (given[0] != t.byteSize())
            throw new IllegalStateException(name + ": " + given[0] + " bytes given, " + t.byteSize() + " expected for " + t);
        long padded = Gguf.pad(t.byteSize(), alignment);
        if (padded > t.byteSize()) writeFully(ByteBuffer.allocate((int) (padded - t.byteSize())));
        next++;
    }

    /** Checks that every tensor was written, flushes and renames the file into place. */
    public void finish() {
        if (next != infos.size())
            throw new IllegalStateException("only " + next + " of " + infos.size() + " tensors written");
        try {
            channel.force(false);
            channel.close();
        } catch (IOException e) {
            throw CalqException.file(target, "cannot write: " + e.getMessage());
        }
        AtomicOutput.commit(temp, target, overwrite);
        finished = true;
    }

    @Override public void close() {
        if (finished) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // discarding anyway
        }
        AtomicOutput.discard(temp);
    }

    /** Bytes written so far (header and data). */
    public long bytesWritten() { return written; }

    private void writeFully(ByteBuffer buf) {
        try {
            while (buf.hasRemaining()) written += channel.write(buf);
        } catch (IOException e) {
            throw CalqException.file(target, "cannot write: " + e.getMessage());
        }
    }

    static long alignmentOf(Map<String, GgufValue> metadata, Path file) {
        GgufValue a = metadata.get(Gguf.KEY_ALIGNMENT);
        if (a == null) return Gguf.DEFAULT_ALIGNMENT;
        if (a.type() != GgufValueType.UINT32) throw CalqException.file(file, Gguf.KEY_ALIGNMENT + " must be UINT32, not " + a.type());
        long v = a.asLong();
        if (v <= 0 || (v & (v - 1)) != 0) throw CalqException.file(file, Gguf.KEY_ALIGNMENT + " " + v + " is not a power of two");
        return v;
    }

    private static List<GgufTensorInfo> layout(List<Spec> specs, long alignment, Path file) {
        List<GgufTensorInfo> out = new ArrayList<>(specs.size());
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (Spec s : specs) {
            if (!seen.add(s.name())) throw CalqException.file(file, "duplicate tensor name " + s.name());
            if (s.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Gguf.MAX_NAME_BYTES)
                throw CalqException.file(file, "tensor name longer than " + Gguf.MAX_NAME_BYTES + " bytes: " + s.name());
            if (s.ne().length == 0 || s.ne().length > Gguf.MAX_DIMS)
                throw CalqException.file(file, s.name() + ": " + s.ne().length + " dims (1 to " + Gguf.MAX_DIMS + " allowed)");
            if (s.ne()[0] % s.type().blockSize() != 0)
                throw CalqException.file(file, s.name() + ": row length " + s.ne()[0] + " is not a multiple of " + s.type() + "'s block size " + s.type().blockSize());
            GgufTensorInfo info = new GgufTensorInfo(s.name(), s.type(), withoutTrailingOnes(s.ne()), offset);
            out.add(info);
            offset += Gguf.pad(info.byteSize(), alignment);
        }
        return out;
    }

    /** ggml stores ggml_n_dims dims: trailing dims of size 1 are dropped (at least one dim stays). */
    static long[] withoutTrailingOnes(long[] ne) {
        int n = ne.length;
        while (n > 1 && ne[n - 1] == 1) n--;
        return java.util.Arrays.copyOf(ne, n);
    }

    private static void writeValue(LittleEndianSink out, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8, BOOL -> out.u8(type == GgufValueType.BOOL ? ((Boolean) v ? 1 : 0) : (Integer) v);
            case UINT16, INT16 -> out.i16((Integer) v);
            case UINT32 -> out.i32((int) (long) (Long) v);
            case INT32 -> out.i32((Integer) v);
            case FLOAT32 -> out.i32(Float.floatToRawIntBits((Float) v));
            case UINT64, INT64 -> out.i64((Long) v);
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits((Double) v));
            case STRING -> out.string((String) v);
            case ARRAY -> {
                GgufArray a = (GgufArray) v;
                out.i32(a.elementType().id());
                out.i64(a.size());
                for (Object item : a.items()) writeValue(out, a.elementType(), item);
            }
        }
    }
}
