package dev.calq.formats.gguf.llama;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.model.Architecture;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.GgufTensorInfo;

/**
 * A GGUF model's tensors under their Hugging Face names, each dequantized to float32 when asked for (nothing is
 * cached: the caller keeps what it needs). For the llama architecture the q/k rows are moved back from llama.cpp's
 * interleaved rope pairs to Hugging Face's rotate-half order, so the same forward pass runs the file. Closing it
 * closes the file.
 */
public final class GgufTensorSource implements TensorSource {
    /** The name llama.cpp and this source give the per-pair rope frequency divisors. */
    public static final String ROPE_FREQS = "rope_freqs.weight";

    private final GgufFile file;
    private final ModelConfig config;
    private final Map<String, GgufTensorInfo> byHfName = new LinkedHashMap<>();

    /** Takes ownership of {@code file}; {@code config} (from {@link GgufModelConfig#of}) gives the head counts. */
    public GgufTensorSource(GgufFile file, ModelConfig config) {
        this.file = file;
        this.config = config;
        for (GgufTensorInfo t : file.tensors()) {
            String hf = LlamaTensorNames.toHf(t.name());
            if (hf != null) byHfName.put(hf, t);
        }
        // Llama 3 rope scaling as llama.cpp stores it: one frequency divisor per rotary pair, under its own name
        // (Hugging Face has no such tensor; LlamaModel divides the frequencies by it).
        if (file.hasTensor(ROPE_FREQS)) byHfName.put(ROPE_FREQS, file.tensor(ROPE_FREQS));
    }

    @Override public Set<String> names() { return Collections.unmodifiableSet(byHfName.keySet()); }

    @Override public boolean contains(String name) { return byHfName.containsKey(name); }

    @Override public Tensor get(String name) {
        GgufTensorInfo t = byHfName.get(name);
        if (t == null) throw CalqException.file(file.path(), "no tensor " + name + " (" + LlamaTensorNames.toGguf(name) + ")");
        if (!t.type().hasCodec()) throw CalqException.file(file.path(), "tensor " + t.name() + " has type " + t.type().ggmlName() + ", which calq cannot decode");
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) throw CalqException.file(file.path(), "tensor " + t.name() + " is too large for one array");
        int ne0 = (int) t.ne(0);
        int rows = ne0 == 0 ? 0 : (int) (n / ne0);
        float[] values = Quantizers.dequantize(t.type(), file.data(t), 0, rows, ne0);
        if (config.architecture() == Architecture.LLAMA || config.architecture() == Architecture.MISTRAL) {
            int outRows = (int) t.ne(t.nDims() - 1);
            int cols = (int) (n / outRows);
            int heads = name.contains("q_proj") ? config.numHeads() : config.numKvHeads();
            if (name.contains("_proj.") && outRows % (2 * heads) != 0)
                throw CalqException.file(file.path(), "tensor " + t.name() + " has " + outRows + " rows, not a whole number of heads of " + config.headDim());
            if (name.endsWith("self_attn.q_proj.weight") || name.endsWith("self_attn.q_proj.bias"))
                RotaryPermutation.unpermuteRows(values, outRows, cols, config.numHeads());
            else if (name.endsWith("self_attn.k_proj.weight") || name.endsWith("self_attn.k_proj.bias"))
                RotaryPermutation.unpermuteRows(values, outRows, cols, config.numKvHeads());
        }
        return new Tensor(name, DType.F32, t.shape(), MemorySegment.ofArray(values));
    }

    public GgufFile file() { return file; }

    @Override public void close() { file.close(); }
}
