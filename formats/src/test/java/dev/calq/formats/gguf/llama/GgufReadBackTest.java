package dev.calq.formats.gguf.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;
import dev.calq.formats.gguf.GgufValue;
import dev.calq.formats.gguf.GgufWriter;
import dev.calq.formats.gguf.mix.QuantMix;

/** Reading a converted GGUF back: config from metadata, HF names, exact F32 tensors, q/k rows un-permuted. */
class GgufReadBackTest {
    @TempDir Path dir;

    @Test
    void unpermuteInvertsPermuteExactly() {
        Random r = new Random(5);
        for (int[] c : new int[][] {{4, 16, 7}, {2, 6, 1}, {3, 10, 33}}) {
            int heads = c[0], rows = c[0] * c[1], cols = c[2];
            float[] a = new float[rows * cols];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            float[] b = a.clone();
            RotaryPermutation.permuteRows(b, rows, cols, heads);
            assertFalse(java.util.Arrays.equals(a, b), "the permutation moves rows");
            RotaryPermutation.unpermuteRows(b, rows, cols, heads);
            assertArrayEquals(a, b);
            RotaryPermutation.unpermuteRows(b, rows, cols, heads);
            RotaryPermutation.permuteRows(b, rows, cols, heads);
            assertArrayEquals(a, b);
        }
    }

    @Test
    void ggufNamesMapBackToHuggingFaceNames() {
        for (String hf : List.of("model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
                "model.layers.0.input_layernorm.weight", "model.layers.12.self_attn.q_proj.weight",
                "model.layers.3.self_attn.k_proj.bias", "model.layers.1.self_attn.q_norm.weight",
                "model.layers.7.mlp.down_proj.weight", "model.layers.2.post_attention_layernorm.weight"))
            assertEquals(hf, LlamaTensorNames.toHf(LlamaTensorNames.toGguf(hf)));
        assertNull(LlamaTensorNames.toHf("rope_freqs.weight"));
        assertNull(LlamaTensorNames.toHf("blk.0.attn_qkv.weight"));
    }

    @Test
    void llamaF32ReadsBackExactlyWithTheSameConfig() throws Exception {
        Path hf = dir.resolve("llama");
        TinyHfModel m = TinyHfModel.write(hf, "LlamaForCausalLM", false);
        Path out = dir.resolve("m.gguf");
        GgufConverter.convert(hf, out, GgufConverter.mixChooser(hf, QuantMix.F32, List.of(), false), null, false);
        ModelConfig want = ModelConfig.load(hf);
        try (GgufTensorSource src = open(out)) {
            ModelConfig got = GgufModelConfig.of(src.file());
            assertSameShape(want, got);
            assertEquals(m.tensors.keySet(), src.names());
            for (Map.Entry<String, float[]> e : m.tensors.entrySet()) {
                Tensor t = src.get(e.getKey());
                assertArrayEquals(m.shapes.get(e.getKey()), t.shape(), e.getKey());
                assertArrayEquals(e.getValue(), t.toFloatArray(), e.getKey());
            }
        }
    }

    @Test
    void qwenKeepsItsLayoutAndReportsTyingAndBiases() throws Exception {
        for (String arch : List.of("Qwen2ForCausalLM", "Qwen3ForCausalLM")) {
            Path hf = dir.resolve(arch);
            boolean tied = arch.startsWith("Qwen3");
            TinyHfModel m = TinyHfModel.write(hf, arch, tied);
            Path out = dir.resolve(arch + ".gguf");
            GgufConverter.convert(hf, out, GgufConverter.mixChooser(hf, QuantMix.F32, List.of(), false), null, false);
            try (GgufTensorSource src = open(out)) {
                ModelConfig got = GgufModelConfig.of(src.file());
                assertSameShape(ModelConfig.load(hf), got);
                assertEquals(tied, got.tieWordEmbeddings());
                assertEquals(!tied, got.attentionBias());
                for (Map.Entry<String, float[]> e : m.tensors.entrySet())
                    assertArrayEquals(e.getValue(), src.get(e.getKey()).toFloatArray(), e.getKey());
            }
        }
    }

    @Test
    void quantizedTensorsComeBackDequantized() throws Exception {
        Path hf = dir.resolve("q8");
        TinyHfModel m = TinyHfModel.write(hf, "LlamaForCausalLM", false);
        Path out = dir.resolve("q8.gguf");
        GgufConverter.convert(hf, out, GgufConverter.mixChooser(hf, QuantMix.Q8_0, List.of(), false), null, false);
        try (GgufTensorSource src = open(out)) {
            String q = "model.layers.1.self_attn.q_proj.weight";
            float[] want = m.tensors.get(q), got = src.get(q).toFloatArray();
            double maxErr = 0, maxAbs = 0;
            for (int i = 0; i < want.length; i++) {
                maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
                maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            }
            assertTrue(maxErr > 0, "Q8_0 is lossy");
            assertTrue(maxErr < maxAbs / 100, "Q8_0 error " + maxErr + " against values up to " + maxAbs + " (rows in the wrong order?)");
        }
    }

    @Test
    void badMetadataIsOneLineNamingTheFile() throws Exception {
        Path hf = dir.resolve("bad");
        TinyHfModel.write(hf, "LlamaForCausalLM", false);
        Path good = dir.resolve("good.gguf");
        GgufConverter.convert(hf, good, GgufConverter.mixChooser(hf, QuantMix.F32, List.of(), false), null, false);
        Path out = dir.resolve("bad.gguf");
        try (GgufFile g = GgufFile.open(good)) {
            Map<String, GgufValue> md = new java.util.LinkedHashMap<>(g.metadata());
            md.put("general.architecture", GgufValue.string("falcon"));
            copyWithMetadata(g, md, out);
        }
        try (GgufFile g = GgufFile.open(out)) {
            CalqException e = assertThrows(CalqException.class, () -> GgufModelConfig.of(g));
            assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("falcon"), e.getMessage());
        }
    }

    @Test
    void sentencePieceVocabularyComesBackFromMetadata() throws Exception {
        Path out = dir.resolve("spm.gguf");
        List<String> tokens = List.of("<unk>", "<s>", "</s>", "<0x41>", "\u2581a", "b");
        Map<String, GgufValue> md = new java.util.LinkedHashMap<>();
        md.put("general.architecture", GgufValue.string("llama"));
        md.put("tokenizer.ggml.model", GgufValue.string("llama"));
        md.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        md.put("tokenizer.ggml.scores", GgufValue.floats(new float[] {0, 0, 0, 0, -1.5f, -2f}));
        md.put("tokenizer.ggml.token_type", GgufValue.int32s(new int[] {2, 3, 3, 6, 1, 1}));
        md.put("tokenizer.ggml.bos_token_id", GgufValue.u32(1));
        md.put("tokenizer.ggml.eos_token_id", GgufValue.u32(2));
        md.put("tokenizer.ggml.add_bos_token", GgufValue.bool(false));
        md.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(false));
        try (GgufWriter w = GgufWriter.create(out, false, md, List.of())) {
            w.finish();
        }
        try (GgufFile g = GgufFile.open(out)) {
            GgufSentencePiece sp = GgufSentencePiece.read(g);
            assertFalse(sp.addBos());
            assertEquals(6, sp.model().vocabSize());
            assertEquals("\u2581a", sp.model().piece(4).text());
            assertEquals(-1.5f, sp.model().piece(4).score());
            assertEquals(dev.calq.formats.tokenizer.Piece.Type.BYTE, sp.model().piece(3).type());
            assertEquals(0, sp.model().unkId());
            assertEquals(1, sp.model().bosId());
            assertFalse(sp.model().addDummyPrefix());
            assertTrue(sp.model().byteFallback());
        }
        Map<String, GgufValue> bpe = new java.util.LinkedHashMap<>(md);
        bpe.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        Path gpt2 = dir.resolve("gpt2.gguf");
        try (GgufWriter w = GgufWriter.create(gpt2, false, bpe, List.of())) {
            w.finish();
        }
        try (GgufFile g = GgufFile.open(gpt2)) {
            CalqException e = assertThrows(CalqException.class, () -> GgufSentencePiece.read(g));
            assertTrue(e.getMessage().contains("not a SentencePiece vocabulary"), e.getMessage());
        }
    }

    private static GgufTensorSource open(Path gguf) {
        GgufFile f = GgufFile.open(gguf);
        return new GgufTensorSource(f, GgufModelConfig.of(f));
    }

    private static void assertSameShape(ModelConfig want, ModelConfig got) {
        assertEquals(want.architecture(), got.architecture());
        assertEquals(want.hiddenSize(), got.hiddenSize());
        assertEquals(want.intermediateSize(), got.intermediateSize());
        assertEquals(want.numLayers(), got.numLayers());
        assertEquals(want.numHeads(), got.numHeads());
        assertEquals(want.numKvHeads(), got.numKvHeads());
        assertEquals(want.headDim(), got.headDim());
        assertEquals(want.rmsNormEps(), got.rmsNormEps());
        assertEquals(want.ropeTheta(), got.ropeTheta());
        assertEquals(want.ropeScaling(), got.ropeScaling());
        assertEquals(want.tieWordEmbeddings(), got.tieWordEmbeddings());
        assertEquals(want.attentionBias(), got.attentionBias());
        assertEquals(want.vocabSize(), got.vocabSize());
        assertEquals(want.maxPositionEmbeddings(), got.maxPositionEmbeddings());
        assertEquals(want.bosTokenId(), got.bosTokenId());
        assertEquals(want.eosTokenId(), got.eosTokenId());
    }

    private static void copyWithMetadata(GgufFile g, Map<String, GgufValue> md, Path out) {
        List<GgufWriter.Spec> specs = g.tensors().stream().map(t -> new GgufWriter.Spec(t.name(), t.type(), t.ne())).toList();
        try (GgufWriter w = GgufWriter.create(out, false, md, specs)) {
            for (GgufTensorInfo t : g.tensors()) w.write(t.name(), g.data(t));
            w.finish();
        }
    }
}
