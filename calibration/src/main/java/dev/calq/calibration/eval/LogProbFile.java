package dev.calq.calibration.eval;

import dev.calq.formats.CalqException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The base model's log-probabilities saved by {@code calq eval --save-logits} for a later {@code --kl-divergence}
 * run: the full distribution at every scored position, each log-probability quantized to 16 bits.
 *
 * <p>Layout (little-endian): a 64-byte header ("CALQLOGP", version, vocab, ctx, method, windows, scored rows per
 * window, a 64-bit fingerprint of the evaluated token ids, the quantization range), then one record per scored
 * position: float32 {@code top} (the largest log-probability), float32 {@code step}, and vocab uint16 codes q with
 * log p = top - RANGE + q * step, step = RANGE / 65535. Codes cover [top - RANGE, top]; smaller log-probabilities
 * (p < e^-24 times the top one) are stored as code 0. The rounding error is at most step / 2 = 1.8e-4 nats per
 * log-probability, so a KL divergence computed from the file is off by at most about 4e-4 nats at one position and
 * much less on average (the errors are unbiased); a model compared with its own file gives ~1e-6.
 * Size: 8 + 2 * vocab bytes per scored position (64 KB at vocab 32000, 16 MB per 512-token llama.cpp chunk).
 */
public final class LogProbFile {
    static final byte[] MAGIC = "CALQLOGP".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER = 64;
    /** Nats below the top log-probability that the 16-bit codes cover. */
    public static final float RANGE = 24f;

    /** What a file describes; the fingerprint ties it to the tokens it was computed on. */
    public record Header(int vocab, int ctx, PerplexityMethod method, int windows, int scoredPerWindow, long fingerprint) {
        long recordBytes() { return 8 + 2L * vocab; }

        /** Throws ArithmeticException when a corrupt header's counts overflow. */
        long fileBytes() { return Math.addExact(HEADER, Math.multiplyExact((long) windows * scoredPerWindow, recordBytes())); }
    }

    private LogProbFile() {}

    public static long expectedBytes(Header h) { return h.fileBytes(); }

    /** Appends records to a file as windows are evaluated. */
    public static final class Writer implements AutoCloseable {
        private final FileChannel channel;
        private final Header header;
        private final ByteBuffer buf;

        public Writer(Path file, Header header) throws IOException {
            this.header = header;
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            h.put(MAGIC).putInt(VERSION).putInt(header.vocab()).putInt(header.ctx()).putInt(header.method().ordinal())
                    .putInt(header.windows()).putInt(header.scoredPerWindow()).putLong(header.fingerprint()).putFloat(RANGE);
            h.position(HEADER).flip();
            write(h);
            buf = ByteBuffer.allocateDirect((int) header.recordBytes() * 16).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Quantizes and appends the log-probabilities of row {@code off..off+vocab} whose log-sum-exp is lse. */
        public void append(float[] logits, int off, double lse) throws IOException {
            int v = header.vocab();
            if (buf.remaining() < header.recordBytes()) flush();
            float top = (float) (LogSoftmax.max(logits, off, v) - lse);
            float floor = top - RANGE, step = RANGE / 65535f, inv = 1f / step;
            buf.putFloat(top).putFloat(step);
            for (int i = 0; i < v; i++) {
                float lp = (float) (logits[off + i] - lse);
                int q = lp <= floor ? 0 : Math.min(65535, Math.round((lp - floor) * inv));
                buf.putShort((short) q);
            }
        }

        private void flush() throws IOException {
            buf.flip();
            write(buf);
            buf.clear();
        }

        private void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) channel.write(b);
        }

        @Override public void close() throws IOException {
            try {
                flush();
            } finally {
                channel.close();
            }
        }
    }

    /** A saved file, memory-mapped. */
    public static final class Reader implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment data;
        private final Header header;
        private final Path file;

        public Reader(Path file) {
            this.file = file;
            if (java.nio.file.Files.isDirectory(file)) throw CalqException.file(file, "is a folder, not a log-probability file written by calq eval --save-logits");
            if (!java.nio.file.Files.exists(file)) throw CalqException.file(file, "not found");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                if (ch.size() < HEADER) throw CalqException.file(file, "too short for a calq log-probability file");
                data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            } catch (IOException e) {
                arena.close();
                throw CalqException.file(file, "cannot read: " + e.getMessage());
            }
            ByteBuffer h = data.asSlice(0, HEADER).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            h.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) fail("not a calq log-probability file (written by calq eval --save-logits)");
            int version = h.getInt();
            if (version != VERSION) fail("unsupported version " + version);
            int vocab = h.getInt(), ctx = h.getInt(), method = h.getInt(), windows = h.getInt(), scored = h.getInt();
            long fp = h.getLong();
            float range = h.getFloat();
            if (method < 0 || method >= PerplexityMethod.values().length || range != RANGE) fail("corrupt header");
            if (vocab <= 0) fail("corrupt header: vocabulary size " + vocab);
            if (ctx < 2) fail("corrupt header: context length " + ctx);
            if (windows <= 0) fail("corrupt header: " + windows + " windows");
            PerplexityMethod m = PerplexityMethod.values()[method];
            if (scored != m.scoredPerWindow(ctx))
                fail("corrupt header: " + scored + " scored rows per window, the " + m.cliName() + " method at --ctx " + ctx + " scores " + m.scoredPerWindow(ctx));
            header = new Header(vocab, ctx, m, windows, scored, fp);
            long expected;
            try {
                expected = header.fileBytes();
            } catch (ArithmeticException e) {
                fail("corrupt header: its counts describe more than 2^63 bytes");
                throw e;
            }
            if (data.byteSize() != expected)
                fail("is " + data.byteSize() + " bytes but its header describes " + expected + " (truncated?)");
        }

        private void fail(String problem) {
            arena.close();
            throw CalqException.file(file, problem);
        }

        public Header header() { return header; }

        public Path file() { return file; }

        /** Log-probabilities of scored position {@code index} (counted over the whole file) into {@code out}. */
        public void logProbs(long index, float[] out) {
            int v = header.vocab();
            long base = HEADER + index * header.recordBytes();
            float top = data.get(F32, base), step = data.get(F32, base + 4), floor = top - RANGE;
            for (int i = 0; i < v; i++) out[i] = floor + (data.get(U16, base + 8 + 2L * i) & 0xffff) * step;
        }

        @Override public void close() { arena.close(); }
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** FNV-1a over the token ids: a base file is only compared with a run over the same tokens. */
    public static long fingerprint(int[] tokens, int count) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < count; i++) {
            h ^= tokens[i];
            h *= 0x100000001b3L;
        }
        return h;
    }
}
