package dev.calq.formats.imatrix;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.GgufValue;
import dev.calq.formats.gguf.GgufValueType;
import dev.calq.formats.gguf.GgufWriter;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * llama-imatrix's GGUF importance matrix: metadata general.type "imatrix", imatrix.datasets, imatrix.chunk_count and
 * imatrix.chunk_size; per weight an F32 tensor {@code NAME.in_sum2} (ne = [columns, matrices]) and
 * {@code NAME.counts} (ne = [1, matrices]). calq also writes {@code NAME.in_sum} when it has plain sums; llama.cpp
 * ignores tensors with other suffixes.
 */
final class GgufImatrixFormat {
    static final String SUM2 = ".in_sum2";
    static final String SUM = ".in_sum";
    static final String COUNTS = ".counts";

    private GgufImatrixFormat() {}

    static void write(ImportanceMatrix m, Path file, boolean overwrite) {
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.type", GgufValue.string("imatrix"));
        md.put("imatrix.datasets", GgufValue.strings(m.datasets()));
        md.put("imatrix.chunk_count", GgufValue.u32(m.chunkCount()));
        md.put("imatrix.chunk_size", GgufValue.u32(m.chunkSize()));
        List<GgufWriter.Spec> specs = new ArrayList<>();
        List<float[]> data = new ArrayList<>();
        for (Map.Entry<String, ImportanceMatrix.Entry> e : m.entries().entrySet()) {
            ImportanceMatrix.Entry v = e.getValue();
            long nmat = v.counts().length;
            specs.add(new GgufWriter.Spec(e.getKey() + SUM2, GgmlType.F32, new long[] {v.columns(), nmat}));
            data.add(v.sumSq());
            if (v.sum() != null) {
                specs.add(new GgufWriter.Spec(e.getKey() + SUM, GgmlType.F32, new long[] {v.columns(), nmat}));
                data.add(v.sum());
            }
            specs.add(new GgufWriter.Spec(e.getKey() + COUNTS, GgmlType.F32, new long[] {1, nmat}));
            data.add(v.counts());
        }
        try (GgufWriter w = GgufWriter.create(file, overwrite, md, specs)) {
            for (int i = 0; i < specs.size(); i++) {
                float[] f = data.get(i);
                MemorySegment seg = MemorySegment.ofArray(new byte[f.length * 4]);
                MemorySegment.copy(f, 0, seg, Tensor.F32, 0, f.length);
                w.write(specs.get(i).name(), seg);
            }
            w.finish();
        }
    }

    static ImportanceMatrix read(Path file) {
        try (GgufFile g = GgufFile.open(file)) {
            Map<String, float[][]> parts = new TreeMap<>();
            for (GgufTensorInfo t : g.tensors()) {
                String n = t.name();
                int slot = n.endsWith(SUM2) ? 0 : n.endsWith(SUM) ? 1 : n.endsWith(COUNTS) ? 2 : -1;
                if (slot < 0) continue;
                if (t.type() != GgmlType.F32) throw CalqException.file(file, n + " must be F32, is " + t.type());
                String base = n.substring(0, n.length() - (slot == 0 ? SUM2 : slot == 1 ? SUM : COUNTS).length());
                parts.computeIfAbsent(base, k -> new float[3][])[slot] = g.floats(n);
            }
            if (parts.isEmpty()) throw CalqException.file(file, "no importance matrix tensors (*.in_sum2 / *.counts) in this GGUF");
            Map<String, ImportanceMatrix.Entry> entries = new TreeMap<>();
            for (Map.Entry<String, float[][]> e : parts.entrySet()) {
                float[][] p = e.getValue();
                if (p[0] == null || p[2] == null) throw CalqException.file(file, "mismatched sums and counts for " + e.getKey());
                if (p[2].length == 0 || p[0].length % p[2].length != 0 || (p[1] != null && p[1].length != p[0].length))
                    throw CalqException.file(file, e.getKey() + ": " + p[0].length + " sums do not match " + p[2].length + " counts");
                float[] counts = p[2].clone();
                for (int i = 0; i < counts.length; i++) counts[i] = Math.round(counts[i]); // llama.cpp rounds counts
                entries.put(e.getKey(), new ImportanceMatrix.Entry(p[0], p[1], counts));
            }
            List<String> datasets = new ArrayList<>();
            GgufValue ds = g.get("imatrix.datasets");
            if (ds != null && ds.type() == GgufValueType.ARRAY && ds.asArray().elementType() == GgufValueType.STRING)
                datasets.addAll(ds.asArray().strings());
            return new ImportanceMatrix(entries, u32(g, "imatrix.chunk_count"), u32(g, "imatrix.chunk_size"), datasets, false);
        }
    }

    private static int u32(GgufFile g, String key) {
        GgufValue v = g.get(key);
        if (v == null) return 0;
        if (v.type() != GgufValueType.UINT32 && v.type() != GgufValueType.INT32)
            throw CalqException.file(g.path(), key + " must be UINT32, is " + v.type());
        return (int) Math.min(Integer.MAX_VALUE, v.asLong());
    }
}
