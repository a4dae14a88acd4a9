package dev.calq.gptq.sensitivity;

import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import dev.calq.gptq.HessianObserver;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** A random three-layer Llama in memory (hidden 64, so 32-column ggml blocks divide every row) for sensitivity tests. */
final class TinyLlama {
    static final int HIDDEN = 64, FFN = 96, LAYERS = 3, VOCAB = 50;

    private TinyLlama() {}

    static LlamaModel model(long seed, boolean tied) {
        ModelConfig c = new ModelConfig(Architecture.LLAMA, HIDDEN, FFN, LAYERS, 2, 1, 32, 1e-5, 10000.0, RopeScaling.NONE, tied, false,
                VOCAB, 256, "float32", 1, 2);
        Random rnd = new Random(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        put(t, "model.embed_tokens.weight", rnd, 1.0, VOCAB, HIDDEN);
        for (int i = 0; i < LAYERS; i++) {
            for (Projection p : Projection.values()) {
                int[] shape = switch (p) {
                    case Q, O -> new int[] {HIDDEN, HIDDEN};
                    case K, V -> new int[] {32, HIDDEN};
                    case GATE, UP -> new int[] {FFN, HIDDEN};
                    case DOWN -> new int[] {HIDDEN, FFN};
                };
                put(t, p.weightName(i), rnd, 1.0 / Math.sqrt(shape[1]), shape[0], shape[1]);
            }
            ones(t, "model.layers." + i + ".input_layernorm.weight");
            ones(t, "model.layers." + i + ".post_attention_layernorm.weight");
        }
        ones(t, "model.norm.weight");
        if (!tied) put(t, "lm_head.weight", rnd, 1.0 / Math.sqrt(HIDDEN), VOCAB, HIDDEN);
        return LlamaModel.load(c, new TensorSource() {
            @Override public Set<String> names() { return t.keySet(); }
            @Override public boolean contains(String name) { return t.containsKey(name); }
            @Override public Tensor get(String name) { return t.get(name); }
            @Override public void close() {}
        }, "tiny");
    }

    /**
     * The calibration pass of a measurement: every window of {@code chunks} llama.cpp chunks through the model into
     * {@code hessians}; returns how often each token occurs in them (the embedding's Hessian).
     */
    static long[] calibrate(LlamaModel m, int[] tokens, int ctx, int chunks, HessianObserver hessians) {
        long[] counts = new long[VOCAB];
        for (int i = 0; i < chunks; i++) {
            int[] w = PerplexityMethod.LLAMA.window(tokens, ctx, i, 1);
            for (int t : w) counts[t]++;
            m.forward(w, ctx - 1, hessians::observe);
        }
        return counts;
    }

    static int[] tokens(long seed, int n) {
        Random rnd = new Random(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = 3 + rnd.nextInt(VOCAB - 3);
        return out;
    }

    private static void put(Map<String, Tensor> t, String name, Random rnd, double std, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * rnd.nextGaussian());
        t.put(name, Tensor.ofFloats(name, v, rows, cols));
    }

    private static void ones(Map<String, Tensor> t, String name) {
        float[] v = new float[HIDDEN];
        java.util.Arrays.fill(v, 1f);
        t.put(name, Tensor.ofFloats(name, v, HIDDEN));
    }
}
