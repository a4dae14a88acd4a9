package dev.calq.formats.imatrix;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A llama.cpp importance matrix: for each weight (by its GGUF name, e.g. {@code blk.0.attn_q.weight}) the sums of
 * squared input activations per input column, and how many tokens contributed. Read and written in llama-imatrix's
 * two file formats: the GGUF one ({@code general.type = "imatrix"}) and the older binary {@code imatrix.dat}.
 *
 * @param entries    per weight name; sorted by name
 * @param chunkCount how many calibration chunks were run
 * @param chunkSize  tokens per chunk (0 when unknown, as in legacy files)
 * @param datasets   the calibration files used
 * @param legacy     true when read from a legacy .dat file, whose sums are already normalised (see {@link Entry})
 */
public record ImportanceMatrix(Map<String, Entry> entries, int chunkCount, int chunkSize, List<String> datasets, boolean legacy) {
    /**
     * One weight's statistics. {@code sumSq} holds ne0 values per matrix (several matrices for stacked experts);
     * {@code counts} one token count per matrix. {@code sum} (plain sums of activations) is optional.
     * From a legacy file, {@code sumSq} is (sum/count)·ncall and {@code counts} is {ncall}, as that format stores it.
     */
    public record Entry(float[] sumSq, float[] sum, float[] counts) {
        public Entry {
            if (counts.length == 0 || sumSq.length % counts.length != 0)
                throw new IllegalArgumentException(sumSq.length + " sums do not split into " + counts.length + " matrices");
            if (sum != null && sum.length != sumSq.length) throw new IllegalArgumentException("sum and sumSq differ in length");
        }

        /** Dense weights: one matrix. */
        public static Entry of(float[] sumSq, float[] sum, long count) {
            return new Entry(sumSq, sum, new float[] {count});
        }

        public int columns() { return sumSq.length / counts.length; }
    }

    public ImportanceMatrix {
        entries = Collections.unmodifiableMap(new TreeMap<>(entries));
        datasets = List.copyOf(datasets);
    }

    /** A matrix made by calq's own calibration (raw sums and counts, as the GGUF format stores them). */
    public ImportanceMatrix(Map<String, Entry> entries, int chunkCount, int chunkSize, List<String> datasets) {
        this(entries, chunkCount, chunkSize, datasets, false);
    }

    /**
     * The per-column importance llama-quantize passes to its quantizers for this weight, or null when the matrix
     * has no entry: sumSq/count per matrix (1 where a matrix saw no tokens); for legacy files sums/ncall.
     */
    public float[] importance(String ggufTensorName) {
        Entry e = entries.get(ggufTensorName);
        if (e == null) return null;
        float[] out = new float[e.sumSq.length];
        if (legacy) {
            float ncall = e.counts[0];
            for (int i = 0; i < out.length; i++) out[i] = ncall > 0 ? e.sumSq[i] / ncall : e.sumSq[i];
            return out;
        }
        int n0 = e.columns();
        for (int m = 0; m < e.counts.length; m++) {
            float c = e.counts[m];
            for (int i = 0; i < n0; i++) out[m * n0 + i] = c > 0 ? e.sumSq[m * n0 + i] / c : 1f;
        }
        return out;
    }

    /**
     * The matrix of the same activations divided channel-wise by per-column scales: for a weight whose input columns
     * were multiplied by s (AWQ's folded scales) the layer now reads x / s, so its entry's sums of squares become
     * sumSq[c] / s[c]^2 and its sums sum[c] / s[c]. {@code scales} maps GGUF tensor names to one scale per column;
     * entries without scales are kept as they are.
     */
    public ImportanceMatrix withInputScales(Map<String, float[]> scales) {
        Map<String, Entry> out = new TreeMap<>(entries);
        for (Map.Entry<String, float[]> e : scales.entrySet()) {
            Entry old = entries.get(e.getKey());
            if (old == null) continue;
            float[] s = e.getValue();
            int n0 = old.columns();
            if (s.length != n0) throw new IllegalArgumentException(e.getKey() + ": " + s.length + " scales for " + n0 + " columns");
            float[] sumSq = old.sumSq().clone(), sum = old.sum() == null ? null : old.sum().clone();
            for (int i = 0; i < sumSq.length; i++) {
                double sc = s[i % n0];
                sumSq[i] = (float) (sumSq[i] / (sc * sc));
                if (sum != null) sum[i] = (float) (sum[i] / sc);
            }
            out.put(e.getKey(), new Entry(sumSq, sum, old.counts()));
        }
        return new ImportanceMatrix(out, chunkCount, chunkSize, datasets, legacy);
    }

    /** Writes the GGUF format, or with {@code legacy} the binary imatrix.dat format; atomically. */
    public void write(Path file, boolean legacy, boolean overwrite) {
        if (legacy) LegacyImatrixFormat.write(this, file, overwrite);
        else GgufImatrixFormat.write(this, file, overwrite);
    }

    public void write(Path file, boolean legacy) { write(file, legacy, true); }

    /** Reads either format, recognised by the GGUF magic. */
    public static ImportanceMatrix read(Path file) {
        if (!Files.isRegularFile(file)) throw CalqException.file(file, "not found");
        ImportanceMatrix m = GgufFile.hasMagic(file) ? GgufImatrixFormat.read(file) : LegacyImatrixFormat.read(file);
        m.checkFinite(file);
        return m;
    }

    /** An infinite or NaN sum makes the quantizers' weighted errors NaN: refuse it where the matrix is read. */
    void checkFinite(Path file) {
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry en = e.getValue();
            String origin = file.toString();
            dev.calq.formats.tensor.Finite.check(en.sumSq(), en.columns(), origin, "entry " + e.getKey() + " (sums of squares)");
            if (en.sum() != null) dev.calq.formats.tensor.Finite.check(en.sum(), en.columns(), origin, "entry " + e.getKey() + " (sums)");
            dev.calq.formats.tensor.Finite.check(en.counts(), 0, origin, "entry " + e.getKey() + " (token counts)");
            for (float c : en.counts())
                if (c < 0) throw CalqException.file(file, "entry " + e.getKey() + " has a negative token count " + c);
            for (float s : en.sumSq())
                if (s < 0) throw CalqException.file(file, "entry " + e.getKey() + " has a negative sum of squares " + s);
        }
    }
}
