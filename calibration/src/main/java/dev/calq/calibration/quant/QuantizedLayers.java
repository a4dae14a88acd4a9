package dev.calq.calibration.quant;

import dev.calq.calibration.model.LayerwiseModel;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.safetensors.SafetensorsFile;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quantized projections of a layer-by-layer run, written once for every method (GPTQ, RTN, AWQ): each is kept
 * by Hugging Face weight name and its dequantized weight put back into the model, so that later sites and layers see
 * the quantized model; a finished layer is saved for --resume in one file format and restored exactly.
 *
 * <p>The resume file {@value #FILE} is a safetensors file: per projection NAME the tensors {@code NAME.codes} (I32,
 * out x in), {@code NAME.scales} (F32), {@code NAME.zeros} (I32), {@code NAME.g_idx} (I32) and, for a codebook grid,
 * {@code NAME.codebook} (F32), with the metadata entry {@code NAME.grid} = "bits groupSize sym"; a projection
 * encoded in a ggml block type (GPTQ inside GGUF types) instead as {@code NAME.blocks} (U8, the rows' block bytes)
 * with {@code NAME.ggml} = "TYPE loss"; then the method's own float tensors and metadata notes, under names that do
 * not end in those suffixes.
 */
public final class QuantizedLayers {
    public static final String FILE = "quantized-layer.safetensors";
    private static final List<String> OWN = List.of(".codes", ".scales", ".zeros", ".g_idx", ".codebook", ".blocks");

    /** What a method saved beside its projections: float tensors by name, and notes. */
    public record Extras(Map<String, float[]> floats, Map<String, String> notes) {
        public static Extras none() { return new Extras(Map.of(), Map.of()); }
    }

    /**
     * A projection encoded in a ggml block type: rows of {@code type.rowBytes(in)} bytes, and the loss the method
     * reports for it (GPTQ's sum (x-q)^2/(2 U_cc^2)).
     */
    public record GgmlBlocks(GgmlType type, byte[] bytes, double loss) {}

    private final LayerwiseModel model;
    private final Map<String, QuantizedLinear> layers = new LinkedHashMap<>();
    private final Map<String, GgmlBlocks> blocks = new LinkedHashMap<>();

    public QuantizedLayers(LayerwiseModel model) { this.model = model; }

    /**
     * Keeps {@code q} as projection {@code p} of {@code layer} and puts it back into the model, which reads it through a
     * view that dequantizes row blocks as the matmul needs them (no float32 copy of the layer is held).
     */
    public void keep(int layer, Projection p, QuantizedLinear q) {
        layers.put(p.weightName(layer), q);
        model.setWeight(layer, p, q);
    }

    /**
     * Keeps {@code b} as projection {@code p} of {@code layer} and puts {@code dequantized} (what its bytes decode to)
     * back into the model.
     */
    public void keep(int layer, Projection p, GgmlBlocks b, float[] dequantized) {
        blocks.put(p.weightName(layer), b);
        model.setWeight(layer, p, dequantized);
    }

    /** The projections kept as ggml blocks by Hugging Face weight name, in the order they were kept. */
    public Map<String, GgmlBlocks> blocks() { return blocks; }

    /** Keeps {@code q} without touching the model (a run that never runs the model again, e.g. RTN without data). */
    public void record(String name, QuantizedLinear q) { layers.put(name, q); }

    /** The quantized projections by Hugging Face weight name, in the order they were kept. */
    public Map<String, QuantizedLinear> all() { return layers; }

    /** Saves {@code layer}'s projections with the method's {@code extras} (deterministic: same content, same bytes). */
    public void save(int layer, Path dir, Extras extras) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extras.notes());
        for (Projection p : Projection.values()) {
            QuantizedLinear q = layers.get(p.weightName(layer));
            if (q != null) meta.put(p.weightName(layer) + ".grid", q.bits() + " " + q.groupSize() + " " + q.sym());
            GgmlBlocks b = blocks.get(p.weightName(layer));
            if (b != null) meta.put(p.weightName(layer) + ".ggml", b.type().ggmlName() + " " + b.loss()); // Double.toString round-trips
        }
        try (SafetensorsWriter w = SafetensorsWriter.file(dir.resolve(FILE), meta)) {
            for (Projection p : Projection.values()) {
                String n = p.weightName(layer);
                QuantizedLinear q = layers.get(n);
                if (q == null) continue;
                w.add(ints(n + ".codes", q.codes(), q.out(), q.in()));
                w.add(Tensor.ofFloats(n + ".scales", q.scales(), q.scales().length));
                w.add(ints(n + ".zeros", q.zeros(), q.zeros().length));
                w.add(ints(n + ".g_idx", q.gIdx(), q.gIdx().length));
                if (q.codebook() != null) w.add(Tensor.ofFloats(n + ".codebook", q.codebook(), q.codebook().length));
            }
            for (Projection p : Projection.values()) {
                GgmlBlocks b = blocks.get(p.weightName(layer));
                if (b != null) w.add(new Tensor(p.weightName(layer) + ".blocks", DType.U8, new long[] {b.bytes().length}, MemorySegment.ofArray(b.bytes())));
            }
            for (var e : extras.floats().entrySet()) w.add(Tensor.ofFloats(e.getKey(), e.getValue(), e.getValue().length));
            w.finish();
        }
    }

    /** Restores a layer saved by {@link #save}: its projections kept and put back into the model; returns the method's extras. */
    public Extras load(int layer, Path dir) throws IOException {
        Map<String, float[]> floats = new LinkedHashMap<>();
        Map<String, String> notes = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(FILE))) {
            for (Projection p : Projection.values()) {
                String n = p.weightName(layer);
                String grid = f.metadata().get(n + ".grid");
                if (grid == null) continue;
                String[] g = grid.split(" ");
                float[] codebook = f.contains(n + ".codebook") ? f.get(n + ".codebook").toFloatArray() : null;
                keep(layer, p, new QuantizedLinear(model.outFeatures(p), model.inFeatures(p), Integer.parseInt(g[0]), Integer.parseInt(g[1]),
                        Boolean.parseBoolean(g[2]), ints(f.get(n + ".codes")), f.get(n + ".scales").toFloatArray(), ints(f.get(n + ".zeros")),
                        ints(f.get(n + ".g_idx")), codebook));
            }
            for (Projection p : Projection.values()) {
                String n = p.weightName(layer);
                String ggml = f.metadata().get(n + ".ggml");
                if (ggml == null) continue;
                String[] g = ggml.split(" ");
                GgmlType type = GgmlType.fromName(g[0]);
                byte[] bytes = f.get(n + ".blocks").data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                int out = model.outFeatures(p), in = model.inFeatures(p);
                keep(layer, p, new GgmlBlocks(type, bytes, Double.parseDouble(g[1])), Quantizers.dequantize(type, bytes, out, in));
            }
            for (String name : f.names()) if (OWN.stream().noneMatch(name::endsWith)) floats.put(name, f.get(name).toFloatArray());
            for (var e : f.metadata().entrySet()) if (!e.getKey().endsWith(".grid") && !e.getKey().endsWith(".ggml")) notes.put(e.getKey(), e.getValue());
        }
        return new Extras(floats, notes);
    }

    private static Tensor ints(String name, int[] v, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 4]);
        MemorySegment.copy(v, 0, seg, Tensor.I32, 0, v.length);
        return new Tensor(name, DType.I32, shape, seg);
    }

    private static int[] ints(Tensor t) {
        int[] v = new int[(int) t.numel()];
        MemorySegment.copy(t.data(), Tensor.I32, 0, v, 0, v.length);
        return v;
    }
}
