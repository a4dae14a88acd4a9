package dev.calq.formats.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import dev.calq.formats.gptq.GptqCheckpointWriter;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.quantized.QuantizedCheckpointWriter;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes grid-quantized layers (GPTQ, RTN, AWQ) as a compressed-tensors "pack-quantized" checkpoint, the format
 * llm-compressor writes and vLLM loads on its main weight-only path: each quantized "X.weight" becomes
 * X.weight_packed/weight_scale/weight_shape (plus weight_zero_point when asymmetric, weight_g_idx with group
 * activation ordering); lm_head, embeddings and norms stay dense.
 */
public final class CompressedTensorsCheckpointWriter {
    private CompressedTensorsCheckpointWriter() {}

    /**
     * Writes the checkpoint and returns warnings about vLLM kernels that will not take it. The activation ordering
     * written follows the layers: "group" (with weight_g_idx) when any layer's groups are not contiguous in column
     * order, "weight" when act-order ran with contiguous groups (static groups), none otherwise.
     */
    public static List<String> write(Path modelDir, TensorSource source, Map<String, QuantizedLinear> quantized, int bits, int groupSize,
                                     boolean sym, boolean actOrder, long maxShardBytes, Path outDir, boolean overwrite) {
        Map<String, int[]> shapes = GptqCheckpointWriter.checkLayers(source, quantized, bits, groupSize, sym);
        boolean scattered = false;
        for (QuantizedLinear q : quantized.values()) scattered |= !contiguousGroups(q);
        CompressedTensorsConfig.ActOrder order = scattered ? CompressedTensorsConfig.ActOrder.GROUP
                : actOrder && groupSize != -1 ? CompressedTensorsConfig.ActOrder.WEIGHT : CompressedTensorsConfig.ActOrder.NONE;
        CompressedTensorsConfig ct = new CompressedTensorsConfig(bits, groupSize, sym, order, List.of("lm_head"));
        Map<String, Supplier<List<Tensor>>> replacements = new LinkedHashMap<>();
        for (var e : quantized.entrySet()) {
            QuantizedLinear q = e.getValue();
            String prefix = e.getKey().substring(0, e.getKey().length() - ".weight".length());
            int[] gIdx = order == CompressedTensorsConfig.ActOrder.GROUP ? q.gIdx() : null;
            replacements.put(e.getKey(), () -> PackQuantizedTensors.build(prefix, q.out(), q.in(), q.bits(), q.codes(), q.scales(),
                    q.zeros(), gIdx, q.sym()));
        }
        List<String> warnings = new ArrayList<>(VllmWna16Compatibility.check(ct, shapes));
        QuantizedCheckpointWriter.write(new QuantizedCheckpointWriter.Plan(modelDir, source, replacements, ct.toJson(),
                Map.<String, JsonNode>of(), maxShardBytes), outDir, overwrite);
        return warnings;
    }

    /** Whether column c is in group c / groupSize for every column (no act-order, or act-order with static groups). */
    public static boolean contiguousGroups(QuantizedLinear q) {
        int gs = q.groupSize() == -1 ? q.in() : q.groupSize();
        for (int c = 0; c < q.in(); c++) if (q.gIdx()[c] != c / gs) return false;
        return true;
    }
}
