package dev.calq.formats.gptq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads a GPTQ checkpoint folder (ours, AutoGPTQ's or GPTQModel's) as the float model it stands for: every
 * quantized layer appears under its original name ("...q_proj.weight", F32 [out, in], dequantized), its packed
 * tensors are hidden, and every other tensor is passed through unchanged.
 */
public final class GptqCheckpoint implements TensorSource {
    private static final String[] PARTS = {".qweight", ".qzeros", ".scales", ".g_idx"};

    private final Path dir;
    private final SafetensorsModel model;
    private final GptqQuantizationConfig config;
    private final Set<String> names;
    private final Set<String> quantized; // prefixes

    private GptqCheckpoint(Path dir, SafetensorsModel model, GptqQuantizationConfig config, Set<String> names, Set<String> quantized) {
        this.dir = dir;
        this.model = model;
        this.config = config;
        this.names = names;
        this.quantized = quantized;
    }

    /** Whether {@code dir}'s config.json declares GPTQ quantization. */
    public static boolean isGptq(Path dir) {
        try {
            JsonNode q = new ObjectMapper().readTree(dir.resolve("config.json").toFile()).path("quantization_config");
            return "gptq".equals(q.path("quant_method").asText());
        } catch (IOException e) {
            return false;
        }
    }

    public static GptqCheckpoint open(Path dir) {
        GptqQuantizationConfig cfg = readConfig(dir);
        SafetensorsModel model = SafetensorsModel.open(dir);
        try {
            Set<String> quantized = new LinkedHashSet<>();
            for (String n : model.names()) if (n.endsWith(".qweight")) quantized.add(n.substring(0, n.length() - ".qweight".length()));
            Set<String> names = new LinkedHashSet<>();
            for (String n : model.names()) {
                String base = partOf(n);
                if (base != null && quantized.contains(base)) {
                    if (n.endsWith(".qweight")) names.add(base + ".weight");
                } else names.add(n);
            }
            for (String q : quantized)
                for (String part : new String[] {".qzeros", ".scales"})
                    if (!model.contains(q + part)) throw CalqException.file(dir, "quantized layer " + q + " has no " + q + part);
            return new GptqCheckpoint(dir, model, cfg, Collections.unmodifiableSet(names), quantized);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static String partOf(String name) {
        for (String p : PARTS) if (name.endsWith(p)) return name.substring(0, name.length() - p.length());
        return null;
    }

    static GptqQuantizationConfig readConfig(Path dir) {
        Path cfgFile = dir.resolve("config.json");
        JsonNode q = null;
        Path from = cfgFile;
        try {
            if (Files.isRegularFile(cfgFile)) q = new ObjectMapper().readTree(cfgFile.toFile()).get("quantization_config");
            if (q == null && Files.isRegularFile(dir.resolve("quantize_config.json"))) {
                from = dir.resolve("quantize_config.json");
                q = new ObjectMapper().readTree(from.toFile());
            }
        } catch (IOException e) {
            throw CalqException.file(from, "is not valid JSON: " + e.getMessage());
        }
        if (q == null) throw CalqException.file(cfgFile, "has no quantization_config (and no quantize_config.json): not a GPTQ checkpoint");
        return GptqQuantizationConfig.fromJson(q, from);
    }

    public GptqQuantizationConfig config() { return config; }

    /** The prefixes (e.g. "model.layers.0.self_attn.q_proj") of the quantized layers. */
    public Set<String> quantizedLayers() { return Collections.unmodifiableSet(quantized); }

    @Override public Set<String> names() { return names; }

    @Override public boolean contains(String name) { return names.contains(name); }

    @Override public Map<String, String> metadata() { return model.metadata(); }

    @Override
    public Tensor get(String name) {
        if (!names.contains(name)) throw CalqException.file(dir, "has no tensor " + name);
        if (name.endsWith(".weight")) {
            String base = name.substring(0, name.length() - ".weight".length());
            if (quantized.contains(base)) {
                Layer l = layer(base);
                return Tensor.ofFloats(name, l.dequantize(), l.out, l.in);
            }
        }
        return model.get(name);
    }

    /** A quantized layer unpacked: codes [out][in], real zero points and float scales [groups][out], g_idx [in]. */
    public record Layer(int out, int in, int bits, int[] codes, float[] scales, int[] zeros, int[] gIdx) {
        /** W[o][i] = scale * (code - zero), in float32 as the quantizer computes it. */
        public float[] dequantize() {
            float[] w = new float[out * in];
            for (int o = 0; o < out; o++)
                for (int i = 0; i < in; i++) {
                    int g = gIdx[i] * out + o;
                    w[o * in + i] = scales[g] * (float) (codes[o * in + i] - zeros[g]);
                }
            return w;
        }
    }

    /** Unpacks the layer {@code prefix}, validating every shape against the config. */
    public Layer layer(String prefix) {
        if (!quantized.contains(prefix)) throw CalqException.file(dir, "has no quantized layer " + prefix);
        int bits = config.bits();
        Tensor qw = model.get(prefix + ".qweight"), qz = model.get(prefix + ".qzeros"), sc = model.get(prefix + ".scales");
        expect(qw, DType.I32, 2);
        expect(qz, DType.I32, 2);
        if (sc.rank() != 2 || !sc.dtype().isFloat()) throw bad(sc, "must be a 2-D float tensor");
        long inL = qw.dim(0) * 32 / bits, outL = qw.dim(1);
        if (qw.dim(0) * 32 % bits != 0 || inL > Integer.MAX_VALUE || outL * inL > Integer.MAX_VALUE - 8)
            throw bad(qw, "shape " + Arrays.toString(qw.shape()) + " is not a packed " + bits + "-bit weight");
        int in = (int) inL, out = (int) outL;
        int groups = (int) sc.dim(0);
        if (sc.dim(1) != out) throw bad(sc, "has " + sc.dim(1) + " columns; qweight has " + out + " outputs");
        if (qz.dim(0) != groups || qz.dim(1) * 32 != (long) out * bits)
            throw bad(qz, "shape " + Arrays.toString(qz.shape()) + " does not match " + groups + " groups of " + out + " " + bits + "-bit zeros");
        int[] gIdx;
        if (model.contains(prefix + ".g_idx")) {
            gIdx = GptqTensors.groupIndex(model.get(prefix + ".g_idx"), in, groups, dir);
        } else {
            int gs = config.groupSize() == -1 ? in : config.groupSize();
            gIdx = new int[in];
            for (int i = 0; i < in; i++) gIdx[i] = i / gs;
            if (gIdx[in - 1] >= groups) throw bad(sc, "has " + groups + " groups; " + in + " inputs in groups of " + gs + " need more");
        }
        int[] codes = GptqPacking.unpackQweight(GptqTensors.toInts(qw), out, in, bits);
        int[] zeros = GptqPacking.unpackQzeros(GptqTensors.toInts(qz), groups, out, bits);
        int maxq = (1 << bits) - 1;
        for (int i = 0; i < zeros.length; i++) zeros[i] = (zeros[i] + config.zeroOffset()) & maxq;
        float[] scales = sc.toFloatArray();
        return new Layer(out, in, bits, codes, scales, zeros, gIdx);
    }

    private void expect(Tensor t, DType dtype, int rank) {
        if (t.dtype() != dtype || t.rank() != rank) throw bad(t, "must be a " + rank + "-D " + dtype + " tensor, is " + t.dtype() + " " + Arrays.toString(t.shape()));
    }

    private CalqException bad(Tensor t, String problem) {
        return CalqException.file(dir, t.name() + " " + problem);
    }

    @Override public void close() { model.close(); }
}
