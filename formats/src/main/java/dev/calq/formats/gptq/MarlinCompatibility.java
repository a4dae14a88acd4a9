package dev.calq.formats.gptq;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether vLLM's Marlin kernel (its fast path for GPTQ and compressed-tensors WNA16 checkpoints) will take a
 * checkpoint. Its conditions: 4 or 8 bits, group size -1, 32, 64 or 128, and for every layer (per tensor-parallel
 * shard, which we check at shard count 1) an output size divisible by 64 and an input size divisible by 128 and by
 * the group size; for GPTQ also symmetric. Otherwise vLLM falls back to slower kernels (or refuses, for shapes no
 * kernel accepts).
 */
public final class MarlinCompatibility {
    static final int MIN_THREAD_N = 64;
    static final int MIN_THREAD_K = 128;
    static final String SLOW = "; vLLM will not use its Marlin kernel for this checkpoint";

    private MarlinCompatibility() {}

    /** Reasons Marlin will not take the GPTQ checkpoint; empty when it will. {@code shapes}: name -> {out, in}. */
    public static List<String> check(GptqQuantizationConfig cfg, Map<String, int[]> shapes) {
        List<String> w = new ArrayList<>();
        if (!cfg.sym()) w.add("asymmetric quantization (Marlin's GPTQ path takes only symmetric)" + SLOW);
        w.addAll(checkBitsGroupsShapes(cfg.bits(), cfg.groupSize(), shapes));
        return w;
    }

    /** The conditions shared by every Marlin path: bits, group size and layer shapes. */
    public static List<String> checkBitsGroupsShapes(int bits, int groupSize, Map<String, int[]> shapes) {
        List<String> w = new ArrayList<>();
        if (bits != 4 && bits != 8) w.add(bits + "-bit weights (Marlin takes 4 or 8 bits)" + SLOW);
        if (groupSize != -1 && groupSize != 32 && groupSize != 64 && groupSize != 128)
            w.add("group size " + groupSize + " (Marlin takes -1, 32, 64 or 128)" + SLOW);
        for (var e : shapes.entrySet()) {
            int out = e.getValue()[0], in = e.getValue()[1];
            if (out % MIN_THREAD_N != 0) w.add(e.getKey() + ": output size " + out + " is not divisible by " + MIN_THREAD_N + SLOW);
            if (in % MIN_THREAD_K != 0) w.add(e.getKey() + ": input size " + in + " is not divisible by " + MIN_THREAD_K + SLOW);
        }
        return w;
    }
}
