package dev.calq.formats.gguf.llama;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.model.ModelLayout;
import dev.calq.formats.model.WeightRole;
import dev.calq.formats.model.RopeScaling;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.MappedPages;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.calq.formats.gguf.GgufValue;
import dev.calq.formats.gguf.GgufWriter;
import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.MixContext;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.mix.TypeChooser;

/**
 * Converts a Hugging Face Llama-family model (Llama, Mistral, Qwen2, Qwen3) to a GGUF file that llama.cpp loads,
 * following convert_hf_to_gguf.py: architecture and tokenizer metadata, llama.cpp tensor names, q/k rows permuted
 * to llama.cpp's rope layout for Llama/Mistral, then each tensor quantized to the chooser's type (with the
 * importance matrix where given) and streamed to the file one at a time. The model is a {@link Source}: the folder
 * on disk, or a model already open with a calibration method's weights laid over its tensors (AWQ's scaled ones).
 */
public final class GgufConverter {
    /** One written tensor. */
    public record ConvertedTensor(String name, GgmlType type, long[] ne, long bytes) {
        public long elements() { return GgufConverter.elements(ne); }
    }

    /** What was written: every tensor in file order and the file size. */
    public record Result(Path output, List<ConvertedTensor> tensors, long fileBytes) {}

    private record Planned(String hfName, String ggufName, long[] ne, GgmlType type, float[] generated) {}

    /**
     * What a GGUF file is written from: the model's config, its tensors by Hugging Face name (float, any precision)
     * and the folder whose tokenizer files and name give the metadata. The tensors belong to the caller.
     */
    public record Source(Path hfDir, ModelConfig config, TensorSource tensors) {}

    private GgufConverter() {}

    /** llama.cpp's architecture name for a Hugging Face family. */
    public static String ggufArchitecture(Architecture a) {
        return switch (a) {
            case LLAMA, MISTRAL -> "llama";
            case QWEN2 -> "qwen2";
            case QWEN3 -> "qwen3";
        };
    }

    /** A llama-quantize-style chooser for this model folder (counts its attn_v tensors, layers and GQA factor). */
    public static MixChooser mixChooser(Path hfDir, QuantMix mix, List<MixChooser.Override> overrides, boolean hasImatrix) {
        return mixChooser(hfDir, mix, new MixOptions(overrides, false, null, null), hasImatrix);
    }

    /** As above with llama-quantize's --pure / --output-tensor-type / --token-embedding-type too. */
    public static MixChooser mixChooser(Path hfDir, QuantMix mix, MixOptions options, boolean hasImatrix) {
        ModelConfig cfg = ModelConfig.load(hfDir);
        try (SafetensorsModel src = SafetensorsModel.open(hfDir)) {
            return mixChooser(new Source(hfDir, cfg, src), mix, options, hasImatrix);
        }
    }

    /** A llama-quantize-style chooser for this model (counts its attn_v tensors, layers and GQA factor). */
    public static MixChooser mixChooser(Source model, QuantMix mix, List<MixChooser.Override> overrides, boolean hasImatrix) {
        return mixChooser(model, mix, new MixOptions(overrides, false, null, null), hasImatrix);
    }

    /** As above with llama-quantize's --pure / --output-tensor-type / --token-embedding-type too. */
    public static MixChooser mixChooser(Source model, QuantMix mix, MixOptions options, boolean hasImatrix) {
        ModelConfig cfg = model.config();
        List<String> names = ggufNames(model.tensors(), cfg, model.hfDir());
        MixContext ctx = MixContext.forTensors(names, ggufArchitecture(cfg.architecture()), cfg.numLayers(), cfg.numHeads(), cfg.numKvHeads(), hasImatrix);
        return new MixChooser(mix, ctx, options);
    }

    /**
     * What {@link #convert} would write, without reading weights or writing anything (llama-quantize's --dry-run):
     * every tensor's type and size, and the exact file size. Works for types calq cannot encode yet.
     */
    public static Result dryRun(Path hfDir, Path out, TypeChooser chooser) {
        ModelConfig cfg = ModelConfig.load(hfDir);
        try (SafetensorsModel src = SafetensorsModel.open(hfDir)) {
            return dryRun(new Source(hfDir, cfg, src), out, chooser);
        }
    }

    /** {@link #dryRun(Path, Path, TypeChooser)} for an open model. */
    public static Result dryRun(Source model, Path out, TypeChooser chooser) {
        List<Planned> plan = plan(model.tensors(), model.config(), model.hfDir(), chooser);
        List<ConvertedTensor> tensors = new ArrayList<>();
        for (Planned p : plan)
            tensors.add(new ConvertedTensor(p.ggufName(), p.type(), p.ne(), p.type().rowBytes(p.ne()[0]) * (elements(p.ne()) / p.ne()[0])));
        return new Result(out, tensors, GgufWriter.fileSize(out, metadata(model.hfDir(), model.config(), chooser), specs(plan)));
    }

    /** The first tensor that cannot be written without an importance matrix (see {@link #needsImportance}), or null. */
    public static ConvertedTensor firstNeedingImatrix(Result plan, TypeChooser chooser) {
        for (ConvertedTensor t : plan.tensors()) if (needsImportance(t.name(), t.type(), chooser)) return t;
        return null;
    }

    private static long elements(long[] ne) {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    private static List<GgufWriter.Spec> specs(List<Planned> plan) {
        return plan.stream().map(p -> new GgufWriter.Spec(p.ggufName(), p.type(), p.ne())).toList();
    }

    /**
     * A tensor the caller already encoded (GPTQ inside the type): rows of {@code type} in Hugging Face row order; the
     * converter applies llama.cpp's rope permutation to q/k rows as it does to float weights.
     */
    public record Encoded(GgmlType type, byte[] bytes) {}

    /** The type the chooser gives every tensor, by GGUF name in file order (a chooser is used up by one plan). */
    public static Map<String, GgmlType> plannedTypes(Path hfDir, TypeChooser chooser) {
        ModelConfig cfg = ModelConfig.load(hfDir);
        Map<String, GgmlType> types = new LinkedHashMap<>();
        try (SafetensorsModel src = SafetensorsModel.open(hfDir)) {
            for (Planned p : plan(src, cfg, hfDir, chooser)) types.put(p.ggufName(), p.type());
        }
        return types;
    }

    /** Converts the model folder {@code hfDir} as it is on disk. */
    public static Result convert(Path hfDir, Path out, TypeChooser chooser, ImportanceMatrix imatrix, boolean overwrite) {
        return convert(hfDir, out, chooser, imatrix, overwrite, Map.of());
    }

    /** As above, with the tensors of {@code encoded} (by GGUF name) written from their given bytes. */
    public static Result convert(Path hfDir, Path out, TypeChooser chooser, ImportanceMatrix imatrix, boolean overwrite,
                                 Map<String, Encoded> encoded) {
        AtomicOutput.checkTarget(out, overwrite, hfDir);
        ModelConfig cfg = ModelConfig.load(hfDir);
        try (SafetensorsModel src = SafetensorsModel.open(hfDir)) {
            return convert(new Source(hfDir, cfg, src), out, chooser, imatrix, overwrite, encoded);
        }
    }

    /** Converts an open model: its tensors as {@code model} gives them (the caller's method weights included). */
    public static Result convert(Source model, Path out, TypeChooser chooser, ImportanceMatrix imatrix, boolean overwrite) {
        return convert(model, out, chooser, imatrix, overwrite, Map.of());
    }

    /** As above, with the tensors of {@code encoded} (by GGUF name) written from their given bytes. */
    public static Result convert(Source model, Path out, TypeChooser chooser, ImportanceMatrix imatrix, boolean overwrite,
                                 Map<String, Encoded> encoded) {
        AtomicOutput.checkTarget(out, overwrite, model.hfDir());
        ModelConfig cfg = model.config();
        Path hfDir = model.hfDir();
        TensorSource src = model.tensors();
        List<Planned> plan = plan(src, cfg, hfDir, chooser);
        for (Planned p : plan) checkImportance(p, chooser, imatrix);
        for (Planned p : plan) {
            if (!p.type().hasCodec())
                throw new CalqException(p.ggufName() + ": calq cannot encode ggml type " + p.type().ggmlName() + " yet; choose another --type or --tensor-type");
        }
        Map<String, GgufValue> md = metadata(hfDir, cfg, chooser);
        List<GgufWriter.Spec> specs = specs(plan);
        List<ConvertedTensor> done = new ArrayList<>();
        try (GgufWriter w = GgufWriter.create(out, overwrite, md, specs)) {
            for (Planned p : plan) {
                Encoded given = encoded.get(p.ggufName());
                if (given == null && p.generated() == null && p.ne().length == 2) {
                    // A matrix: encoded and written a row block at a time from its mapped form.
                    Tensor t = src.get(p.hfName());
                    if (!t.dtype().isFloat()) throw notFloat(t, p);
                    int ne0 = (int) p.ne()[0];
                    w.write(p.ggufName(), sink -> RowBlockEncoder.encode(t, p.type(), ropeHeads(p.hfName(), cfg),
                            importanceFor(imatrix, p, ne0), RowBlockEncoder.BLOCK_FLOATS, hfDir.toString(), sink));
                    MappedPages.release(t.data());
                    done.add(new ConvertedTensor(p.ggufName(), p.type(), p.ne(), p.type().rowBytes(ne0) * p.ne()[1]));
                    continue;
                }
                byte[] bytes = given != null ? placed(given, p, cfg) : quantize(src, p, cfg, hfDir, imatrix);
                w.write(p.ggufName(), MemorySegment.ofArray(bytes));
                done.add(new ConvertedTensor(p.ggufName(), p.type(), p.ne(), bytes.length));
            }
            long size = w.bytesWritten();
            w.finish();
            return new Result(out, done, size);
        }
    }

    private static byte[] quantize(TensorSource src, Planned p, ModelConfig cfg, Path hfDir, ImportanceMatrix imatrix) {
        float[] data;
        if (p.generated() != null) {
            data = p.generated();
        } else {
            Tensor t = src.get(p.hfName());
            data = load(t, p, cfg, hfDir);
            MappedPages.release(t.data()); // read once: keep RSS near one tensor, not the whole file
        }
        int ne0 = (int) p.ne()[0];
        return Quantizers.quantize(p.type(), data, data.length / ne0, ne0, importanceFor(imatrix, p, ne0));
    }

    /** A caller-encoded tensor checked against the plan, its rows moved to llama.cpp's rope order where needed. */
    private static byte[] placed(Encoded e, Planned p, ModelConfig cfg) {
        long elements = 1;
        for (long d : p.ne()) elements *= d;
        int ne0 = (int) p.ne()[0];
        int rows = (int) (elements / ne0);
        long rowBytes = p.type().rowBytes(ne0);
        if (e.type() != p.type() || e.bytes().length != rows * rowBytes)
            throw new IllegalArgumentException(p.ggufName() + ": encoded as " + e.type() + " in " + e.bytes().length
                    + " bytes, the plan wants " + p.type() + " in " + rows * rowBytes);
        int heads = ropeHeads(p.hfName(), cfg);
        return heads == 0 ? e.bytes() : RotaryPermutation.permuteRowBytes(e.bytes(), rows, (int) rowBytes, heads);
    }

    /** The head count whose rope permutation a tensor's rows take (0: none). */
    private static int ropeHeads(String hfName, ModelConfig cfg) {
        boolean rope = cfg.architecture() == Architecture.LLAMA || cfg.architecture() == Architecture.MISTRAL;
        if (!rope || hfName == null) return 0;
        if (hfName.endsWith("q_proj.weight") || hfName.endsWith("q_proj.bias")) return cfg.numHeads();
        if (hfName.endsWith("k_proj.weight") || hfName.endsWith("k_proj.bias")) return cfg.numKvHeads();
        return 0;
    }

    /**
     * Whether this tensor cannot be written at this type without importance weights: llama-quantize refuses it
     * (the chooser's rule: very-low-bit types and Q2_K_S's Q2_K, token_embd and output excepted), or ggml's quantizer
     * for the type cannot run without them at all (IQ2_XXS, IQ2_XS, IQ1_S, on any tensor).
     */
    public static boolean needsImportance(String ggufName, GgmlType type, TypeChooser chooser) {
        return chooser.requiresImatrix(ggufName, type) || Quantizers.needsImportance(type);
    }

    private static void checkImportance(Planned p, TypeChooser chooser, ImportanceMatrix imatrix) {
        if (imatrix != null && imatrix.importance(p.ggufName()) != null) return;
        if (needsImportance(p.ggufName(), p.type(), chooser))
            throw new CalqException(p.ggufName() + ": ggml type " + p.type().ggmlName() + " needs an importance matrix"
                    + (imatrix == null ? "" : " entry for this tensor") + "; pass --imatrix FILE (or --calibration SRC to calq quantize --format gguf)");
    }

    private static float[] importanceFor(ImportanceMatrix imatrix, Planned p, int ne0) {
        if (imatrix == null || p.type().blockSize() == 1) return null;
        float[] imp = imatrix.importance(p.ggufName());
        if (imp == null) return null;
        if (imp.length != ne0)
            throw new CalqException("importance matrix entry " + p.ggufName() + " has " + imp.length + " columns but the weight has " + ne0 + " (another model?)");
        return imp;
    }

    private static CalqException notFloat(Tensor t, Planned p) {
        return new CalqException(p.hfName() + ": " + t.dtype() + " weights cannot be converted (not a float type)");
    }

    private static float[] load(Tensor t, Planned p, ModelConfig cfg, Path hfDir) {
        if (!t.dtype().isFloat()) throw notFloat(t, p);
        dev.calq.formats.tensor.Finite.check(t, hfDir.toString());
        float[] data = t.toFloatArray();
        int heads = ropeHeads(p.hfName(), cfg);
        if (heads > 0) {
            int rows = (int) t.dim(0);
            RotaryPermutation.permuteRows(data, rows, t.rank() == 1 ? 1 : (int) (t.numel() / rows), heads);
        }
        return data;
    }

    /** GGUF names in the order calq writes them (ModelLayout order: embeddings, layer by layer, norm, output). */
    static List<String> ggufNames(TensorSource src, ModelConfig cfg, Path hfDir) {
        List<String> names = new ArrayList<>();
        for (ModelLayout.ExpectedTensor e : expected(src, cfg, hfDir)) names.add(LlamaTensorNames.toGguf(e.role(), e.layer()));
        if (cfg.ropeScaling().type().equals("llama3")) names.addFirst("rope_freqs.weight");
        return names;
    }

    /**
     * The tensors to convert, checked against config.json (presence, shapes, float types). Tensors the layout does
     * not know fail the conversion, except rotary buffers and a tied model's redundant lm_head.
     */
    private static List<ModelLayout.ExpectedTensor> expected(TensorSource src, ModelConfig cfg, Path hfDir) {
        ModelLayout layout = new ModelLayout(cfg);
        for (String unknown : layout.validate(src, hfDir)) {
            if (unknown.endsWith("rotary_emb.inv_freq") || unknown.equals(WeightRole.LM_HEAD.tensorName(-1))) continue;
            throw CalqException.file(hfDir, "tensor " + unknown + " has no llama.cpp counterpart; calq cannot convert this model");
        }
        return layout.expected();
    }

    private static List<Planned> plan(TensorSource src, ModelConfig cfg, Path hfDir, TypeChooser chooser) {
        List<Planned> plan = new ArrayList<>();
        if (cfg.ropeScaling().type().equals("llama3")) {
            float[] f = llama3RopeFactors(cfg);
            long[] ne = {f.length};
            plan.add(new Planned(null, "rope_freqs.weight", ne, GgmlType.F32, f));
            chooser.typeFor("rope_freqs.weight", ne); // keep the chooser's view of the file complete
        }
        for (ModelLayout.ExpectedTensor e : expected(src, cfg, hfDir)) {
            long[] shape = e.shape();
            long[] ne = new long[shape.length];
            for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
            String g = LlamaTensorNames.toGguf(e.role(), e.layer());
            plan.add(new Planned(e.name(), g, ne, chooser.typeFor(g, ne), null));
        }
        return plan;
    }

    /**
     * Llama 3.x long-context rope: per-frequency divisors, stored as rope_freqs.weight by the converter. Computed
     * in float32 step by step as convert_hf_to_gguf.py's torch code is (an exponent tensor, {@code x / tensor} as a
     * reciprocal times x), so the tensor's bytes match its; in double, the entries of the smoothed band differ in
     * the last bit.
     */
    static float[] llama3RopeFactors(ModelConfig cfg) {
        RopeScaling s = cfg.ropeScaling();
        int dim = cfg.headDim();
        float[] out = new float[dim / 2];
        float factor = (float) s.factor(), low = (float) s.lowFreqFactor(), high = (float) s.highFreqFactor();
        float context = (float) s.originalMaxPositionEmbeddings();
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < out.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            float freq = 1f / (float) Math.pow(cfg.ropeTheta(), exponent);
            float wavelen = (1f / freq) * (float) (2 * Math.PI);
            if (wavelen < highWavelen) out[i] = 1f;
            else if (wavelen > lowWavelen) out[i] = factor;
            else {
                float smooth = ((1f / wavelen) * context - low) / (high - low);
                out[i] = 1f / ((1f - smooth) / factor + smooth);
            }
        }
        return out;
    }

    static Map<String, GgufValue> metadata(Path hfDir, ModelConfig cfg, TypeChooser chooser) {
        String arch = ggufArchitecture(cfg.architecture());
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.string(arch));
        md.put("general.type", GgufValue.string("model"));
        Path name = hfDir.toAbsolutePath().normalize().getFileName();
        md.put("general.name", GgufValue.string(name == null ? "model" : name.toString()));
        md.put(arch + ".block_count", GgufValue.u32(cfg.numLayers()));
        md.put(arch + ".context_length", GgufValue.u32(cfg.maxPositionEmbeddings()));
        md.put(arch + ".embedding_length", GgufValue.u32(cfg.hiddenSize()));
        md.put(arch + ".feed_forward_length", GgufValue.u32(cfg.intermediateSize()));
        md.put(arch + ".attention.head_count", GgufValue.u32(cfg.numHeads()));
        md.put(arch + ".attention.head_count_kv", GgufValue.u32(cfg.numKvHeads()));
        if (cfg.ropeScaling().type().equals("linear")) {
            md.put(arch + ".rope.scaling.type", GgufValue.string("linear"));
            md.put(arch + ".rope.scaling.factor", GgufValue.f32((float) cfg.ropeScaling().factor()));
        }
        md.put(arch + ".rope.freq_base", GgufValue.f32((float) cfg.ropeTheta()));
        md.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.f32((float) cfg.rmsNormEps()));
        md.put(arch + ".attention.key_length", GgufValue.u32(cfg.headDim()));
        md.put(arch + ".attention.value_length", GgufValue.u32(cfg.headDim()));
        md.put("general.file_type", GgufValue.u32(chooser.fileType()));
        if (arch.equals("llama")) {
            md.put("llama.vocab_size", GgufValue.u32(cfg.vocabSize()));
            md.put("llama.rope.dimension_count", GgufValue.u32(cfg.headDim()));
        }
        md.put("general.quantization_version", GgufValue.u32(2));
        md.putAll(GgufTokenizerMetadata.build(hfDir, cfg.vocabSize()));
        return md;
    }
}
