package dev.calq.calibration.runner;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The hidden states of every calibration sample between two layers: samples x (tokens x hidden) floats, on the heap
 * when they fit the memory budget, else in a memory-mapped scratch file that the OS pages as needed.
 */
public final class HiddenStore implements AutoCloseable {
    private final int samples;
    private final long perSample;
    private final float[][] heap;
    private final Arena arena;
    private final MemorySegment mapped;
    private final Path file;

    private HiddenStore(int samples, long perSample, float[][] heap, Arena arena, MemorySegment mapped, Path file) {
        this.samples = samples;
        this.perSample = perSample;
        this.heap = heap;
        this.arena = arena;
        this.mapped = mapped;
        this.file = file;
    }

    public static HiddenStore onHeap(int samples, int perSample) {
        return new HiddenStore(samples, perSample, new float[samples][perSample], null, null, null);
    }

    /**
     * A store backed by a new scratch file {@code dir/NAME-PID} of this process (deleted on close). Files of the same
     * NAME left by runs that were killed (their PID is gone) are deleted first: a killed run cannot remove its own,
     * and each is as large as the calibration set's hidden states.
     */
    public static HiddenStore scratch(int samples, long perSample, Path dir, String name) throws IOException {
        dev.calq.formats.AtomicOutput.removeFilesOfDeadProcesses(dir,
                file -> file.startsWith(name + "-") ? dev.calq.formats.AtomicOutput.parsePid(file.substring(name.length() + 1)) : -1);
        return mapped(samples, perSample, dir.resolve(name + "-" + ProcessHandle.current().pid()));
    }

    /** A store backed by a new scratch file (deleted on close). */
    public static HiddenStore mapped(int samples, long perSample, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long bytes = samples * perSample * 4;
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            return new HiddenStore(samples, perSample, null, arena, seg, file);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public int samples() { return samples; }

    public long floatsPerSample() { return perSample; }

    public boolean isMapped() { return mapped != null; }

    public void read(int sample, float[] dst) {
        if (heap != null) System.arraycopy(heap[sample], 0, dst, 0, (int) perSample);
        else MemorySegment.copy(mapped, ValueLayout.JAVA_FLOAT, sample * perSample * 4, dst, 0, (int) perSample);
    }

    public void write(int sample, float[] src) {
        if (heap != null) System.arraycopy(src, 0, heap[sample], 0, (int) perSample);
        else MemorySegment.copy(src, 0, mapped, ValueLayout.JAVA_FLOAT, sample * perSample * 4, (int) perSample);
    }

    /** Writes every sample to {@code path} (little-endian float32, sample after sample). */
    public void saveTo(Path path) throws IOException {
        float[] buf = new float[(int) perSample];
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate((int) perSample * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            for (int s = 0; s < samples; s++) {
                read(s, buf);
                bytes.clear();
                bytes.asFloatBuffer().put(buf);
                bytes.limit(buf.length * 4);
                while (bytes.hasRemaining()) ch.write(bytes);
            }
            ch.force(true);
        }
    }

    /** Reads what {@link #saveTo} wrote; the file must hold exactly this store's size. */
    public void loadFrom(Path path) throws IOException {
        long expected = samples * perSample * 4;
        if (Files.size(path) != expected)
            throw new IOException(path + ": holds " + Files.size(path) + " bytes, expected " + expected);
        float[] buf = new float[(int) perSample];
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate((int) perSample * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            for (int s = 0; s < samples; s++) {
                bytes.clear();
                while (bytes.hasRemaining()) if (ch.read(bytes) < 0) throw new IOException(path + ": truncated");
                bytes.flip();
                bytes.asFloatBuffer().get(buf);
                write(s, buf);
            }
        }
    }

    @Override public void close() {
        if (arena != null) {
            arena.close();
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover scratch file is harmless
            }
        }
    }
}
