package dev.calq.formats.awq;

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
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An AWQ GEMM checkpoint read back as float weights under the Hugging Face names: every module with a
 * {@code .qweight} appears as {@code .weight} (float32 [out, in], dequantized as (q - zero) * scale with the float16
 * scales), its qweight/qzeros/scales are hidden, and every other tensor (embeddings, norms, biases, lm_head) passes
 * through as stored. For calq eval and inspect.
 */
public final class AwqCheckpoint implements TensorSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final SafetensorsModel model;
    private final AwqQuantizationConfig config;
    private final Set<String> quantized;
    private final Set<String> names;

    private AwqCheckpoint(Path dir, SafetensorsModel model, AwqQuantizationConfig config, Set<String> quantized, Set<String> names) {
        this.dir = dir;
        this.model = model;
        this.config = config;
        this.quantized = quantized;
        this.names = names;
    }

    public static AwqCheckpoint open(Path dir) {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw CalqException.file(dir, "no config.json (not a model folder)");
        JsonNode root;
        try {
            root = JSON.readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw CalqException.file(cfgFile, "invalid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw CalqException.file(cfgFile, "not a JSON object");
        AwqQuantizationConfig config = AwqQuantizationConfig.parse(root, cfgFile);
        SafetensorsModel model = SafetensorsModel.open(dir);
        try {
            Set<String> quantized = new TreeSet<>();
            for (String n : model.names()) if (n.endsWith(".qweight")) quantized.add(n.substring(0, n.length() - ".qweight".length()));
            if (quantized.isEmpty()) throw CalqException.file(dir, "config.json says AWQ but no tensor is named *.qweight");
            Set<String> names = new LinkedHashSet<>();
            for (String n : model.names()) {
                int dot = n.lastIndexOf('.');
                String prefix = dot < 0 ? n : n.substring(0, dot);
                String leaf = n.substring(dot + 1);
                if (quantized.contains(prefix) && (leaf.equals("qweight") || leaf.equals("qzeros") || leaf.equals("scales"))) {
                    if (leaf.equals("qweight")) names.add(prefix + ".weight");
                } else names.add(n);
            }
            for (String p : quantized) {
                for (String leaf : new String[] {".qzeros", ".scales"})
                    if (!model.contains(p + leaf)) throw CalqException.file(dir, p + ".qweight has no " + p + leaf);
            }
            return new AwqCheckpoint(dir, model, config, Collections.unmodifiableSet(quantized), Collections.unmodifiableSet(names));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public AwqQuantizationConfig config() { return config; }

    /** Module names that hold quantized weights, e.g. "model.layers.0.mlp.down_proj". */
    public Set<String> quantizedModules() { return quantized; }

    @Override public Set<String> names() { return names; }

    @Override public boolean contains(String name) { return names.contains(name); }

    @Override public Map<String, String> metadata() { return model.metadata(); }

    @Override
    public Tensor get(String name) {
        if (!names.contains(name)) throw CalqException.file(dir, "no tensor named " + name);
        if (name.endsWith(".weight")) {
            String prefix = name.substring(0, name.length() - ".weight".length());
            if (quantized.contains(prefix)) return Tensor.ofFloats(name, read(prefix).dequantize(), readShape(prefix));
        }
        return model.get(name);
    }

    private long[] readShape(String prefix) {
        long[] q = model.get(prefix + ".qweight").shape();
        return new long[] {q[1] * AwqPacking.PACK, q[0]};
    }

    /** The quantized module {@code prefix} as stored (codes, scales, zeros; bias when present). */
    public AwqLinear read(String prefix) {
        Tensor qw = model.get(prefix + ".qweight"), qz = model.get(prefix + ".qzeros"), sc = model.get(prefix + ".scales");
        expect(qw, DType.I32, 2);
        expect(qz, DType.I32, 2);
        if (!sc.dtype().isFloat() || sc.rank() != 2) throw CalqException.file(dir, sc.name() + ": expected a 2-d float tensor, found " + sc.dtype() + " of rank " + sc.rank());
        long in = qw.dim(0), out = qw.dim(1) * AwqPacking.PACK, groups = sc.dim(0);
        if (sc.dim(1) != out) throw CalqException.file(dir, sc.name() + ": " + sc.dim(1) + " columns, qweight implies " + out + " outputs");
        if (groups <= 0 || in % groups != 0) throw CalqException.file(dir, sc.name() + ": " + groups + " groups do not divide " + in + " inputs");
        if (qz.dim(0) != groups || qz.dim(1) != qw.dim(1))
            throw CalqException.file(dir, qz.name() + ": shape [" + qz.dim(0) + ", " + qz.dim(1) + "], expected [" + groups + ", " + qw.dim(1) + "]");
        if (in * out > Integer.MAX_VALUE - 8) throw CalqException.file(dir, prefix + ": too large to dequantize in one array");
        int gs = (int) (in / groups);
        if (gs != config.groupSize() && !(groups == 1))
            throw CalqException.file(dir, prefix + ": group size " + gs + " differs from config.json's " + config.groupSize());
        int[] codes = AwqPacking.unpackWeight(ints(qw), (int) out, (int) in);
        int[] zeros = AwqPacking.unpackRows(ints(qz), (int) groups, (int) qz.dim(1));
        float[] scales = sc.toFloatArray();
        float[] bias = model.contains(prefix + ".bias") ? model.get(prefix + ".bias").toFloatArray() : null;
        return new AwqLinear(prefix, (int) out, (int) in, gs, codes, scales, zeros, bias);
    }

    private void expect(Tensor t, DType dtype, int rank) {
        if (t.dtype() != dtype || t.rank() != rank)
            throw CalqException.file(dir, t.name() + ": expected " + dtype + " of rank " + rank + ", found " + t.dtype() + " of rank " + t.rank());
    }

    private static int[] ints(Tensor t) {
        int[] v = new int[(int) t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = t.data().get(Tensor.I32, 4L * i);
        return v;
    }

    @Override public void close() { model.close(); }
}
