package dev.calq.calibration.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A synthetic HF folder converted to GGUF and loaded back through ModelLoader gives the folder's logits. */
class GgufModelReaderTest {
    @TempDir Path dir;

    private static final int[] TOKENS = {1, 17, 5, 60, 33, 2, 41, 9, 9, 58, 3, 27, 44};

    @Test void llamaF32GivesTheFoldersLogitsAndQ8IsClose() throws Exception {
        check(Architecture.LLAMA, false);
    }

    @Test void tiedQwen3AndQwen2WithBiasesToo() throws Exception {
        check(Architecture.QWEN3, true);
        check(Architecture.QWEN2, false);
    }

    private void check(Architecture arch, boolean tied) throws Exception {
        // Sizes that ggml's 32-wide blocks divide (Q8_0), with grouped-query attention.
        ModelConfig c = new ModelConfig(arch, 64, 96, 2, 4, 2, 16, 1e-5, 10000.0, RopeScaling.NONE, tied,
                arch.defaultQkvBias(), 64, 256, "float32", 1, 2);
        Path hf = writeFolder(dir.resolve(arch + "-hf"), c, 11);
        Path f32 = dir.resolve(arch + "-f32.gguf"), q8 = dir.resolve(arch + "-q8.gguf");
        GgufConverter.convert(hf, f32, GgufConverter.mixChooser(hf, QuantMix.F32, List.of(), false), null, false);
        GgufConverter.convert(hf, q8, GgufConverter.mixChooser(hf, QuantMix.Q8_0, List.of(), false), null, false);

        float[] want, got, gotQ8;
        try (LoadedModel m = ModelLoader.load(hf)) { want = m.model().forward(TOKENS); }
        try (LoadedModel m = ModelLoader.load(f32)) {
            assertEquals("gguf", m.format());
            assertEquals(f32, m.tokenizerDir());
            assertEquals(tied, m.config().tieWordEmbeddings());
            got = m.model().forward(TOKENS);
        }
        try (LoadedModel m = ModelLoader.load(q8)) { gotQ8 = m.model().forward(TOKENS); }
        assertEquals(want.length, got.length);
        double maxAbs = 0, errF32 = 0, errQ8 = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            errF32 = Math.max(errF32, Math.abs(want[i] - got[i]));
            errQ8 = Math.max(errQ8, Math.abs(want[i] - gotQ8[i]));
        }
        // Same floats, same hyperparameters (1e-5 survives the FLOAT32 round trip), same kernels: bit-identical.
        assertEquals(0.0, errF32, arch + " F32 GGUF logits differ by " + errF32);
        assertTrue(errQ8 > 0, "Q8_0 is lossy");
        assertTrue(errQ8 < 0.02 * maxAbs, arch + " Q8_0 GGUF logits differ by " + errQ8 + " (largest logit " + maxAbs + ")");
    }

    /** Llama 3 rope scaling reaches a GGUF as rope_freqs.weight, which the reader applies (it used to refuse the file). */
    @Test void llama3RopeScalingSurvivesAsRopeFreqs() throws Exception {
        ModelConfig c = new ModelConfig(Architecture.LLAMA, 64, 96, 2, 4, 2, 16, 1e-5, 10000.0, RopeScaling.NONE, false,
                false, 64, 256, "float32", 1, 2);
        Path plain = writeFolder(dir.resolve("plain-hf"), c, 12), hf = writeFolder(dir.resolve("llama3-hf"), c, 12);
        Path cfg = hf.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"torch_dtype\": \"float32\"}", "\"torch_dtype\": \"float32\", \"rope_scaling\": "
                + "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}}"));
        Path f32 = dir.resolve("llama3-f32.gguf");
        GgufConverter.convert(hf, f32, GgufConverter.mixChooser(hf, QuantMix.F32, List.of(), false), null, false);
        int[] tokens = new int[40];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + (i * 7) % 60;
        float[] want, got, unscaled;
        try (LoadedModel m = ModelLoader.load(hf)) { want = m.model().forward(tokens); }
        try (LoadedModel m = ModelLoader.load(plain)) { unscaled = m.model().forward(tokens); }
        try (LoadedModel m = ModelLoader.load(f32)) { got = m.model().forward(tokens); }
        double maxAbs = 0, err = 0, scalingEffect = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            err = Math.max(err, Math.abs(want[i] - got[i]));
            scalingEffect = Math.max(scalingEffect, Math.abs(want[i] - unscaled[i]));
        }
        assertTrue(scalingEffect > 100 * err, "the scaling must matter (" + scalingEffect + ") far beyond the GGUF's difference (" + err + ")");
        assertTrue(err < 1e-4 * maxAbs, "llama3 GGUF logits differ by " + err + " (largest logit " + maxAbs + ")");
    }

    @Test void aTruncatedGgufIsOneLineNamingTheFile() throws Exception {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        CalqException e = assertThrows(CalqException.class, () -> ModelLoader.load(bad));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }

    /** config.json, model.safetensors (F32) and a minimal BPE tokenizer.json, which the converter needs. */
    static Path writeFolder(Path hf, ModelConfig c, long seed) throws Exception {
        MapTensorSource w = SyntheticModels.weights(c, DType.F32, seed);
        try (SafetensorsWriter sw = SafetensorsWriter.folder(hf, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            for (String n : w.names()) sw.add(w.get(n));
            sw.finish();
        }
        Files.writeString(hf.resolve("config.json"), """
                {"architectures": ["%s"], "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                 "num_attention_heads": %d, "num_key_value_heads": %d, "head_dim": %d, "rms_norm_eps": %s,
                 "rope_theta": %s, "vocab_size": %d, "max_position_embeddings": %d, "tie_word_embeddings": %s,
                 "attention_bias": %s, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
                """.formatted(c.architecture().hfClass(), c.hiddenSize(), c.intermediateSize(), c.numLayers(),
                c.numHeads(), c.numKvHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.vocabSize(),
                c.maxPositionEmbeddings(), c.tieWordEmbeddings(), c.attentionBias()));
        Files.writeString(hf.resolve("tokenizer.json"), """
                {"added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true},
                  {"id": 2, "content": "</s>", "special": true}],
                 "model": {"type": "BPE", "vocab": {"a": 3, "b": 4, "ab": 5}, "merges": ["a b"]}}
                """);
        return hf;
    }

}
