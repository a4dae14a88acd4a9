package dev.calq.formats.gptq;

import com.fasterxml.jackson.databind.JsonNode;
import dev.calq.formats.CalqException;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.quantized.QuantizedCheckpointWriter;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Writes GPTQ results as a Hugging Face GPTQ checkpoint (checkpoint_format "gptq", the v1 layout vLLM, transformers
 * and AutoGPTQ load): each quantized "X.weight" becomes X.qweight/qzeros/scales/g_idx, everything else is copied.
 */
public final class GptqCheckpointWriter {
    private GptqCheckpointWriter() {}

    /** As {@link #write(Path, TensorSource, Map, GptqQuantizationConfig, long, Path, boolean)} with 5 GB shards. */
    public static List<String> write(Path modelDir, TensorSource source, Map<String, QuantizedLinear> quantized,
                                     GptqQuantizationConfig qc, Path outDir, boolean overwrite) {
        return write(modelDir, source, quantized, qc, SafetensorsWriter.DEFAULT_SHARD_BYTES, outDir, overwrite);
    }

    /**
     * Writes the checkpoint. {@code quantized} maps original weight names ("model.layers.0.self_attn.q_proj.weight")
     * to their quantized form. Returns warnings (one line each) about loaders that will not run the checkpoint at
     * full speed or may misread it; the checkpoint is written regardless. {@code qc} is the quantization_config to
     * record; every layer must have been quantized with its bits, group size and symmetry.
     */
    public static List<String> write(Path modelDir, TensorSource source, Map<String, QuantizedLinear> quantized,
                                     GptqQuantizationConfig qc, long maxShardBytes, Path outDir, boolean overwrite) {
        Map<String, Supplier<List<Tensor>>> replacements = new LinkedHashMap<>();
        Map<String, int[]> shapes = checkLayers(source, quantized, qc.bits(), qc.groupSize(), qc.sym());
        boolean zeroAtZero = false;
        for (var e : quantized.entrySet()) {
            String name = e.getKey();
            QuantizedLinear q = e.getValue();
            String prefix = name.substring(0, name.length() - ".weight".length());
            for (int z : q.zeros()) if (z == 0) { zeroAtZero = true; break; }
            replacements.put(name, () -> GptqTensors.build(prefix, q.out(), q.in(), q.bits(), q.codes(), q.scales(), q.zeros(), q.gIdx(), qc.zeroOffset()));
        }
        List<String> warnings = new ArrayList<>(MarlinCompatibility.check(qc, shapes));
        if (zeroAtZero && qc.zeroOffset() != 0)
            warnings.add("some zero points are 0, stored as -1 in checkpoint_format gptq (v1); loaders that add 1 back without "
                    + "wrapping to " + qc.bits() + " bits read them as " + (1 << qc.bits()) + " (use symmetric quantization to avoid this)");
        var json = qc.toJson();
        QuantizedCheckpointWriter.write(new QuantizedCheckpointWriter.Plan(modelDir, source, replacements, json,
                Map.<String, JsonNode>of("quantize_config.json", json.deepCopy()), maxShardBytes), outDir, overwrite);
        return warnings;
    }

    /**
     * Checks that every quantized layer is a ".weight" of the source's shape, quantized with these bits, group size and symmetry;
     * returns the layer shapes by prefix ({out, in}), for the loaders' kernel checks.
     */
    public static Map<String, int[]> checkLayers(TensorSource source, Map<String, QuantizedLinear> quantized, int bits, int groupSize, boolean sym) {
        Map<String, int[]> shapes = new TreeMap<>();
        for (var e : quantized.entrySet()) {
            String name = e.getKey();
            QuantizedLinear q = e.getValue();
            if (!name.endsWith(".weight")) throw new IllegalArgumentException("not a weight name: " + name);
            if (q.bits() != bits || q.groupSize() != groupSize || q.sym() != sym)
                throw new IllegalArgumentException(name + ": quantized with other options than the checkpoint's");
            if (source.contains(name)) {
                long[] shape = source.get(name).shape();
                if (shape.length != 2 || shape[0] != q.out() || shape[1] != q.in())
                    throw new CalqException(name + ": quantized as [" + q.out() + ", " + q.in() + "] but the model's tensor is " + java.util.Arrays.toString(shape));
            }
            shapes.put(name.substring(0, name.length() - ".weight".length()), new int[] {q.out(), q.in()});
        }
        return shapes;
    }
}
