package dev.calq.formats.compressed;

import dev.calq.formats.gptq.MarlinCompatibility;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What vLLM's compressed-tensors loader does with a pack-quantized weight-only checkpoint. Its WNA16 scheme takes 4
 * and 8 bits only (symmetric as the uint4b8/uint8b128 types, asymmetric as uint4/uint8 with zero points in the
 * releases that have them) and runs them on Marlin (Machete on Hopper for the symmetric types) under Marlin's group
 * and shape conditions; 2- and 3-bit pack-quantized checkpoints are valid compressed-tensors but vLLM refuses them.
 */
public final class VllmWna16Compatibility {
    private VllmWna16Compatibility() {}

    /** Reasons vLLM will not run the checkpoint on its fast kernels (or at all); empty when it will. */
    public static List<String> check(CompressedTensorsConfig cfg, Map<String, int[]> shapes) {
        List<String> w = new ArrayList<>();
        if (cfg.bits() != 4 && cfg.bits() != 8) {
            w.add(cfg.bits() + "-bit pack-quantized weights: vLLM's compressed-tensors WNA16 scheme loads only 4 and 8 bits");
            return w;
        }
        if (!cfg.sym())
            w.add("asymmetric quantization (zero points): vLLM takes it only in releases with the uint4/uint8 WNA16 types, "
                    + "on Marlin, never Machete; symmetric runs everywhere");
        w.addAll(MarlinCompatibility.checkBitsGroupsShapes(cfg.bits(), cfg.groupSize(), shapes));
        return w;
    }
}
