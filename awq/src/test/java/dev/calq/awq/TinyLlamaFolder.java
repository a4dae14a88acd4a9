package dev.calq.awq;

import dev.calq.calibration.model.Projection;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A random float32 Llama folder (safetensors and config.json, no tokenizer) of the given shape, from
 * {@link SyntheticBlock} layers with an outlier channel in every input norm, as trained models have; and random
 * token samples for the calibration runner.
 */
record TinyLlamaFolder(int hidden, int heads, int kvHeads, int headDim, int intermediate, int layers, int vocab) {

    Path write(Path dir, long seed) throws IOException {
        Random rnd = new Random(seed);
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            w.add(Tensor.ofFloats("model.embed_tokens.weight", randn(vocab * hidden, 1, rnd), vocab, hidden));
            w.add(Tensor.ofFloats("lm_head.weight", randn(vocab * hidden, 0.2f, rnd), vocab, hidden));
            w.add(Tensor.ofFloats("model.norm.weight", gains(rnd), hidden));
            for (int l = 0; l < layers; l++) {
                SyntheticBlock b = new SyntheticBlock(hidden, heads, kvHeads, headDim, intermediate, false, seed + 1 + l);
                for (Projection p : Projection.values())
                    w.add(Tensor.ofFloats(p.weightName(l), b.weight(p), b.outFeatures(p), b.inFeatures(p)));
                float[] g = gains(rnd);
                g[3] = 6; // an outlier channel, as trained models have
                w.add(Tensor.ofFloats("model.layers." + l + ".input_layernorm.weight", g, hidden));
                w.add(Tensor.ofFloats("model.layers." + l + ".post_attention_layernorm.weight", gains(rnd), hidden));
            }
            w.finish();
        }
        Files.writeString(dir.resolve("config.json"), String.format(Locale.ROOT, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d, "intermediate_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "head_dim": %d,
                 "vocab_size": %d, "rms_norm_eps": 1e-5}""", hidden, intermediate, layers, heads, kvHeads, headDim, vocab));
        return dir;
    }

    List<int[]> samples(int n, int len, long seed) {
        Random rnd = new Random(seed);
        List<int[]> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] t = new int[len];
            for (int j = 0; j < len; j++) t[j] = rnd.nextInt(vocab);
            s.add(t);
        }
        return s;
    }

    private static float[] randn(int n, float sd, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian() * sd;
        return v;
    }

    private float[] gains(Random rnd) {
        float[] g = new float[hidden];
        for (int i = 0; i < hidden; i++) g[i] = 0.5f + rnd.nextFloat();
        return g;
    }
}
