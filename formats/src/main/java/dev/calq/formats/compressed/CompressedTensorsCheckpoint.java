package dev.calq.formats.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.gptq.GptqTensors;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.quantized.PackedCheckpointSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A compressed-tensors pack-quantized checkpoint (llm-compressor's W4A16/W8A16 output) read back as the float model
 * it stands for: every module with a {@code weight_packed} appears as {@code .weight} (F32 [out, in]), dequantized
 * as compressed-tensors' decompressor does, (code - zero) * scale with the group of each column from
 * {@code weight_g_idx} when present and contiguous groups otherwise; its packed tensors are hidden and every other
 * tensor passes through unchanged.
 */
public final class CompressedTensorsCheckpoint extends PackedCheckpointSource {
    private static final String[] PARTS = {PackQuantizedTensors.PACKED, PackQuantizedTensors.SCALE,
            PackQuantizedTensors.ZERO_POINT, PackQuantizedTensors.SHAPE, PackQuantizedTensors.G_IDX};

    private final CompressedTensorsConfig config;
    private final Set<String> quantized;

    private CompressedTensorsCheckpoint(Path dir, SafetensorsModel model, CompressedTensorsConfig config, Set<String> names,
                                        Set<String> quantized) {
        super(dir, model, names);
        this.config = config;
        this.quantized = quantized;
    }

    public static CompressedTensorsCheckpoint open(Path dir) {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw CalqException.file(dir, "no config.json (not a model folder)");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw CalqException.file(cfgFile, "is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        CompressedTensorsConfig cfg = CompressedTensorsConfig.fromJson(root == null ? null : root.get("quantization_config"), cfgFile);
        SafetensorsModel model = SafetensorsModel.open(dir);
        try {
            Set<String> quantized = new LinkedHashSet<>();
            for (String n : model.names())
                if (n.endsWith(PackQuantizedTensors.PACKED)) quantized.add(n.substring(0, n.length() - PackQuantizedTensors.PACKED.length()));
            if (quantized.isEmpty()) throw CalqException.file(dir, "config.json says pack-quantized but no tensor is named *" + PackQuantizedTensors.PACKED);
            Set<String> names = new LinkedHashSet<>();
            for (String n : model.names()) {
                String base = partOf(n);
                if (base != null && quantized.contains(base)) {
                    if (n.endsWith(PackQuantizedTensors.PACKED)) names.add(base + ".weight");
                } else names.add(n);
            }
            for (String q : quantized) {
                if (!model.contains(q + PackQuantizedTensors.SCALE)) throw CalqException.file(dir, "quantized layer " + q + " has no " + q + PackQuantizedTensors.SCALE);
                if (!cfg.sym() && !model.contains(q + PackQuantizedTensors.ZERO_POINT))
                    throw CalqException.file(dir, "asymmetric layer " + q + " has no " + q + PackQuantizedTensors.ZERO_POINT);
                if (model.contains(q + ".weight")) throw CalqException.file(dir, q + " has both a packed and a dense weight");
            }
            return new CompressedTensorsCheckpoint(dir, model, cfg, Collections.unmodifiableSet(names), Collections.unmodifiableSet(quantized));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static String partOf(String name) {
        for (String p : PARTS) if (name.endsWith(p)) return name.substring(0, name.length() - p.length());
        return null;
    }

    public CompressedTensorsConfig config() { return config; }

    /** The prefixes (e.g. "model.layers.0.self_attn.q_proj") of the packed layers. */
    public Set<String> quantizedLayers() { return quantized; }

    @Override
    public Tensor get(String name) {
        if (!contains(name)) throw CalqException.file(dir, "has no tensor " + name);
        if (name.endsWith(".weight")) {
            String base = name.substring(0, name.length() - ".weight".length());
            if (quantized.contains(base)) {
                GptqCheckpoint.Layer l = layer(base);
                return Tensor.ofFloats(name, l.dequantize(), l.out(), l.in());
            }
        }
        return model.get(name);
    }

    /** Unpacks the layer {@code prefix} into calq's layout (codes [out][in], scales and zeros [groups][out]), validating every shape. */
    public GptqCheckpoint.Layer layer(String prefix) {
        if (!quantized.contains(prefix)) throw CalqException.file(dir, "has no quantized layer " + prefix);
        int bits = config.bits();
        Tensor packed = model.get(prefix + PackQuantizedTensors.PACKED), sc = model.get(prefix + PackQuantizedTensors.SCALE);
        if (packed.dtype() != DType.I32 || packed.rank() != 2) throw bad(packed, "must be a 2-D I32 tensor, is " + packed.dtype() + " " + Arrays.toString(packed.shape()));
        if (sc.rank() != 2 || !sc.dtype().isFloat()) throw bad(sc, "must be a 2-D float tensor");
        long outL = packed.dim(0), inL;
        if (model.contains(prefix + PackQuantizedTensors.SHAPE)) {
            Tensor shape = model.get(prefix + PackQuantizedTensors.SHAPE);
            if (shape.numel() != 2 || (shape.dtype() != DType.I64 && shape.dtype() != DType.I32)) throw bad(shape, "must hold the two dimensions [out, in]");
            long o = shape.dtype() == DType.I64 ? shape.data().get(Tensor.I64, 0) : shape.data().get(Tensor.I32, 0);
            inL = shape.dtype() == DType.I64 ? shape.data().get(Tensor.I64, 8) : shape.data().get(Tensor.I32, 4);
            if (o != outL) throw bad(shape, "says " + o + " outputs; weight_packed has " + outL + " rows");
        } else inL = packed.dim(1) * PackQuantizedPacking.packFactor(bits);
        if (inL <= 0 || outL * inL > Integer.MAX_VALUE - 8 || PackQuantizedPacking.words((int) inL, bits) != packed.dim(1))
            throw bad(packed, "shape " + Arrays.toString(packed.shape()) + " does not hold " + inL + " " + bits + "-bit inputs per row");
        int out = (int) outL, in = (int) inL;
        if (sc.dim(0) != out) throw bad(sc, "has " + sc.dim(0) + " rows; the weight has " + out + " outputs");
        int groups = (int) sc.dim(1);
        int[] gIdx;
        if (model.contains(prefix + PackQuantizedTensors.G_IDX)) {
            gIdx = GptqTensors.groupIndex(model.get(prefix + PackQuantizedTensors.G_IDX), in, groups, dir);
        } else {
            int gs = config.groupSize() == -1 ? in : config.groupSize();
            if ((in + gs - 1) / gs != groups) throw bad(sc, "has " + groups + " groups; " + in + " inputs in groups of " + gs + " need " + (in + gs - 1) / gs);
            gIdx = new int[in];
            for (int i = 0; i < in; i++) gIdx[i] = i / gs;
        }
        int[] codes = PackQuantizedPacking.unpackRows(GptqTensors.toInts(packed), out, in, bits);
        float[] scaleT = sc.toFloatArray();
        int[] zeroT;
        if (config.sym()) {
            zeroT = new int[out * groups];
            Arrays.fill(zeroT, 1 << (bits - 1));
        } else {
            Tensor zp = model.get(prefix + PackQuantizedTensors.ZERO_POINT);
            if (zp.dtype() != DType.I32 || zp.rank() != 2 || zp.dim(0) != PackQuantizedPacking.words(out, bits) || zp.dim(1) != groups)
                throw bad(zp, "must be I32 [" + PackQuantizedPacking.words(out, bits) + ", " + groups + "], is " + zp.dtype() + " " + Arrays.toString(zp.shape()));
            zeroT = PackQuantizedPacking.unpackColumns(GptqTensors.toInts(zp), out, groups, bits);
        }
        float[] scales = new float[groups * out];
        int[] zeros = new int[groups * out];
        for (int o = 0; o < out; o++)
            for (int g = 0; g < groups; g++) {
                scales[g * out + o] = scaleT[o * groups + g];
                zeros[g * out + o] = zeroT[o * groups + g];
            }
        return new GptqCheckpoint.Layer(out, in, bits, codes, scales, zeros, gIdx);
    }

    private CalqException bad(Tensor t, String problem) {
        return CalqException.file(dir, t.name() + " " + problem);
    }
}
