package dev.calq.formats.gptq;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether vLLM's GPTQ Marlin kernel (its fast path for GPTQ checkpoints) will take a checkpoint. Its conditions:
 * 4 or 8 bits, symmetric, group size -1, 32, 64 or 128, and for every layer (per tensor-parallel shard, which we
 * check at shard count 1) an output size divisible by 64 and an input size divisible by 128 and by the group size.
 * Otherwise vLLM falls back to slower GPTQ kernels (or refuses, for shapes no kernel accepts).
 */
public final class MarlinCompatibility {
    static final int MIN_THREAD_N = 64;
    static final int MIN_THREAD_K = 128;

    private MarlinCompatibility() {}

    /** Reasons Marlin will not take the checkpoint; empty when it will. {@code shapes}: name -> {out, in}. */
    public static List<String> check(GptqQuantizationConfig cfg, Map<String, int[]> shapes) {
        List<String> w = new ArrayList<>();
        String slow = "; vLLM will not use its Marlin kernel for this checkpoint";
        if (cfg.bits() != 4 && cfg.bits() != 8) w.add(cfg.bits() + "-bit weights (Marlin takes 4 or 8 bits)" + slow);
        if (!cfg.sym()) w.add("asymmetric quantization (Marlin's GPTQ path takes only symmetric)" + slow);
        int gs = cfg.groupSize();
        if (gs != -1 && gs != 32 && gs != 64 && gs != 128) w.add("group size " + gs + " (Marlin takes -1, 32, 64 or 128)" + slow);
        for (var e : shapes.entrySet()) {
            int out = e.getValue()[0], in = e.getValue()[1];
            if (out % MIN_THREAD_N != 0) w.add(e.getKey() + ": output size " + out + " is not divisible by " + MIN_THREAD_N + slow);
            if (in % MIN_THREAD_K != 0) w.add(e.getKey() + ": input size " + in + " is not divisible by " + MIN_THREAD_K + slow);
        }
        return w;
    }
}
