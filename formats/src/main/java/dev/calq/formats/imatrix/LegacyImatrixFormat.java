package dev.calq.formats.imatrix;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The original binary imatrix.dat (little-endian): int32 entry count; per entry int32 name length, name bytes,
 * int32 ncall, int32 nval, nval float32 values = (sumSq / count) · ncall; then optionally int32 chunk count and
 * int32 length + bytes of the dataset name. Entries that saw no tokens at all are left out, as llama-imatrix does.
 */
final class LegacyImatrixFormat {
    private LegacyImatrixFormat() {}

    static void write(ImportanceMatrix m, Path file, boolean overwrite) {
        AtomicOutput.checkTarget(file, overwrite);
        Path temp = AtomicOutput.tempSibling(file);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(temp))) {
            List<Map.Entry<String, ImportanceMatrix.Entry>> kept = new ArrayList<>();
            for (Map.Entry<String, ImportanceMatrix.Entry> e : m.entries().entrySet()) {
                boolean any = false;
                for (float c : e.getValue().counts()) any |= c > 0;
                if (any) kept.add(e);
            }
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            writeInt(os, b, kept.size());
            for (Map.Entry<String, ImportanceMatrix.Entry> e : kept) {
                ImportanceMatrix.Entry v = e.getValue();
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                writeInt(os, b, name.length);
                os.write(name);
                int ncall = ncall(m, v);
                writeInt(os, b, ncall);
                writeInt(os, b, v.sumSq().length);
                int n0 = v.columns();
                ByteBuffer vals = ByteBuffer.allocate(v.sumSq().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < v.sumSq().length; i++) {
                    float count = m.legacy() ? 1f : v.counts()[i / n0];
                    float value = v.sumSq()[i];
                    if (count == 0f) { // a matrix without data: neutral importance
                        value = 1f;
                        count = 1f;
                    }
                    vals.putFloat(m.legacy() ? value : value / count * ncall);
                }
                os.write(vals.array());
            }
            writeInt(os, b, m.chunkCount());
            byte[] dataset = m.datasets().isEmpty() ? new byte[0] : m.datasets().getLast().getBytes(StandardCharsets.UTF_8);
            writeInt(os, b, dataset.length);
            os.write(dataset);
        } catch (IOException e) {
            AtomicOutput.discard(temp);
            throw CalqException.file(file, "cannot write: " + e.getMessage());
        } catch (RuntimeException e) {
            AtomicOutput.discard(temp);
            throw e;
        }
        AtomicOutput.commit(temp, file, overwrite);
    }

    /** Calls (chunks) behind an entry: the token count over the chunk size, rounded up, as llama-imatrix stores it. */
    private static int ncall(ImportanceMatrix m, ImportanceMatrix.Entry v) {
        float max = 0;
        for (float c : v.counts()) max = Math.max(max, c);
        if (m.legacy()) return (int) max;
        if (m.chunkSize() <= 0) return Math.max(1, m.chunkCount());
        return (int) ((max + m.chunkSize() - 1) / m.chunkSize());
    }

    private static void writeInt(OutputStream os, ByteBuffer b, int v) throws IOException {
        b.clear();
        b.putInt(v);
        os.write(b.array(), 0, 4);
    }

    static ImportanceMatrix read(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw CalqException.file(file, "cannot read: " + e.getMessage());
        }
        ByteBuffer in = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = readInt(in, file, "entry count");
        // each entry takes at least 16 bytes
        if (n < 1 || n > in.remaining() / 16) throw CalqException.file(file, "not an importance matrix (neither GGUF nor a valid imatrix.dat: entry count " + n + ")");
        Map<String, ImportanceMatrix.Entry> entries = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int len = readInt(in, file, "name length of entry " + (i + 1));
            if (len < 0 || len > in.remaining()) throw CalqException.file(file, "entry " + (i + 1) + ": name length " + len + " runs past the end of the file");
            byte[] name = new byte[len];
            in.get(name);
            int ncall = readInt(in, file, "ncall of entry " + (i + 1));
            int nval = readInt(in, file, "value count of entry " + (i + 1));
            if (nval < 1 || nval > in.remaining() / 4) throw CalqException.file(file, "entry " + (i + 1) + ": " + nval + " values do not fit in the file");
            float[] vals = new float[nval];
            in.asFloatBuffer().get(vals);
            in.position(in.position() + 4 * nval);
            entries.put(new String(name, StandardCharsets.UTF_8), new ImportanceMatrix.Entry(vals, null, new float[] {ncall}));
        }
        int chunks = 0;
        List<String> datasets = new ArrayList<>();
        if (in.remaining() >= 4) { // the trailer is optional
            chunks = in.getInt();
            if (in.remaining() >= 4) {
                int len = in.getInt();
                if (len > 0 && len <= in.remaining()) {
                    byte[] d = new byte[len];
                    in.get(d);
                    datasets.add(new String(d, StandardCharsets.UTF_8));
                }
            }
        }
        return new ImportanceMatrix(entries, chunks, 0, datasets, true);
    }

    private static int readInt(ByteBuffer in, Path file, String what) {
        if (in.remaining() < 4) throw CalqException.file(file, "truncated: " + what + " runs past the end of the file");
        return in.getInt();
    }
}
