package dev.calq.gptq;

import java.util.Random;

/** Random weights and correlated activations for GPTQ tests. */
final class TestData {
    private TestData() {}

    static float[] gaussian(Random rnd, int n, double sigma) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * sigma);
        return a;
    }

    /** tokens x dim activations with correlated channels (a random mixing of fewer latent factors plus noise). */
    static float[] correlated(Random rnd, int tokens, int dim) {
        return correlated(rnd, rnd, tokens, dim);
    }

    /** As above, the channel mixing drawn from {@code mixRnd}: equal seeds give samples of one distribution. */
    static float[] correlated(Random mixRnd, Random rnd, int tokens, int dim) {
        int latent = Math.max(2, dim / 4);
        double[] mix = new double[latent * dim];
        for (int i = 0; i < mix.length; i++) mix[i] = mixRnd.nextGaussian();
        double[] chanScale = new double[dim];
        for (int c = 0; c < dim; c++) chanScale[c] = Math.exp(mixRnd.nextGaussian());
        float[] x = new float[tokens * dim];
        double[] z = new double[latent];
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < latent; l++) z[l] = rnd.nextGaussian();
            for (int c = 0; c < dim; c++) {
                double v = 0.1 * rnd.nextGaussian();
                for (int l = 0; l < latent; l++) v += z[l] * mix[l * dim + c];
                x[t * dim + c] = (float) (v * chanScale[c]);
            }
        }
        return x;
    }

    /** 2/N X^T X in plain double loops. */
    static double[] hessian(float[] x, int tokens, int dim) {
        double[] h = new double[dim * dim];
        for (int i = 0; i < dim; i++)
            for (int j = 0; j < dim; j++) {
                double s = 0;
                for (int t = 0; t < tokens; t++) s += (double) x[t * dim + i] * x[t * dim + j];
                h[i * dim + j] = 2 * s / tokens;
            }
        return h;
    }

    static double[] identity(int n) {
        double[] h = new double[n * n];
        for (int i = 0; i < n; i++) h[i * n + i] = 1;
        return h;
    }

    /** ||W X^T - Q X^T||^2 in double, directly from the activations. */
    static double outputError(float[] w, float[] q, int out, int in, float[] x, int tokens) {
        double e = 0;
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < out; r++) {
                double s = 0;
                for (int c = 0; c < in; c++) s += (double) (w[r * in + c] - q[r * in + c]) * x[t * in + c];
                e += s * s;
            }
        return e;
    }

    /**
     * A tiny HF-style model folder {@code dir}: q_proj [out, in] (with a bias when {@code bias}), down_proj [in, out],
     * a norm, config and (with {@code sideFiles}) tokenizer, generation config and a README that is not copied.
     */
    static java.nio.file.Path modelFolder(java.nio.file.Path dir, Random rnd, int out, int in, boolean bias, boolean sideFiles) throws java.io.IOException {
        String q = "model.layers.0.self_attn.q_proj", down = "model.layers.0.mlp.down_proj";
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":" + in + "}");
        if (sideFiles) {
            java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), "{\"model\":{}}");
            java.nio.file.Files.writeString(dir.resolve("generation_config.json"), "{}");
            java.nio.file.Files.writeString(dir.resolve("README.md"), "not copied");
        }
        try (var w = dev.calq.formats.safetensors.SafetensorsWriter.folder(dir, dev.calq.formats.safetensors.SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            w.add(dev.calq.formats.tensor.Tensor.ofFloats(q + ".weight", gaussian(rnd, out * in, 0.05), out, in));
            if (bias) w.add(dev.calq.formats.tensor.Tensor.ofFloats(q + ".bias", gaussian(rnd, out, 0.05), out));
            w.add(dev.calq.formats.tensor.Tensor.ofFloats(down + ".weight", gaussian(rnd, in * out, 0.05), in, out));
            w.add(dev.calq.formats.tensor.Tensor.ofFloats("model.norm.weight", gaussian(rnd, in, 1), in));
            w.finish();
        }
        return dir;
    }
}
