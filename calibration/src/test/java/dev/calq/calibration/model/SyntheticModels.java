package dev.calq.calibration.model;

import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Random small Llama-family models, built in memory, for tests of the forward pass and its users. */
public final class SyntheticModels {
    private SyntheticModels() {}

    /** A config with odd sizes (not multiples of the vector width) and grouped-query attention. */
    public static ModelConfig config(Architecture arch, boolean tied, RopeScaling scaling) {
        return new ModelConfig(arch, 40, 72, 2, 4, 2, 14, 1e-5, 10000.0, scaling, tied,
                arch.defaultQkvBias(), 53, 256, "bfloat16", 1, 2);
    }

    /** A random bf16 model for {@code c}. */
    public static LlamaModel model(ModelConfig c, long seed) {
        return LlamaModel.load(c, weights(c, DType.BF16, seed), "synthetic");
    }

    /** Random weights for {@code c}: matrices in {@code dtype}, norms around 1, biases small. */
    static MapTensorSource weights(ModelConfig c, DType dtype, long seed) {
        Random rnd = new Random(seed);
        MapTensorSource s = new MapTensorSource();
        int h = c.hiddenSize();
        s.put(random("model.embed_tokens.weight", dtype, rnd, 1.0, c.vocabSize(), h));
        for (int i = 0; i < c.numLayers(); i++) {
            for (Projection p : Projection.values()) {
                long[] shape = switch (p) {
                    case Q -> new long[] {c.qDim(), h};
                    case K, V -> new long[] {c.kvDim(), h};
                    case O -> new long[] {h, c.qDim()};
                    case GATE, UP -> new long[] {c.intermediateSize(), h};
                    case DOWN -> new long[] {h, c.intermediateSize()};
                };
                s.put(random(p.weightName(i), dtype, rnd, 1.0 / Math.sqrt(shape[1]), shape));
                if (c.attentionBias() && (p == Projection.Q || p == Projection.K || p == Projection.V))
                    s.put(random(p.biasName(i), DType.F32, rnd, 0.3, shape[0]));
            }
            s.put(norm("model.layers." + i + ".input_layernorm.weight", rnd, h));
            s.put(norm("model.layers." + i + ".post_attention_layernorm.weight", rnd, h));
            if (c.hasQkNorm()) {
                s.put(norm("model.layers." + i + ".self_attn.q_norm.weight", rnd, c.headDim()));
                s.put(norm("model.layers." + i + ".self_attn.k_norm.weight", rnd, c.headDim()));
            }
        }
        s.put(norm("model.norm.weight", rnd, h));
        if (!c.tieWordEmbeddings()) s.put(random("lm_head.weight", dtype, rnd, 1.0 / Math.sqrt(h), c.vocabSize(), h));
        return s;
    }

    private static Tensor norm(String name, Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.3 * rnd.nextGaussian());
        return Tensor.ofFloats(name, v, n);
    }

    static Tensor random(String name, DType dtype, Random rnd, double std, long... shape) {
        int n = (int) Tensor.numel(shape);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (std * rnd.nextGaussian());
        if (dtype == DType.F32) return Tensor.ofFloats(name, v, shape);
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * n]);
        for (int i = 0; i < n; i++) {
            short bits = dtype == DType.BF16 ? (short) (Float.floatToRawIntBits(v[i]) >>> 16) : Float.floatToFloat16(v[i]);
            seg.set(Tensor.I16, 2L * i, bits);
        }
        return new Tensor(name, dtype, shape, seg);
    }
}
