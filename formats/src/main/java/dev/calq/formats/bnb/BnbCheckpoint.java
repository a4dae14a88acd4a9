package dev.calq.formats.bnb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.quantized.PackedCheckpointSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A bitsandbytes 4-bit checkpoint (NF4 or FP4, as transformers saves it) read back as float weights: every
 * {@code W.weight} with a {@code W.weight.quant_state.bitsandbytes__*} tensor is dequantized as bitsandbytes does
 * (absmax restored from the nested quantization when present, then quant_map[index] * absmax in float32, rounded to
 * the state's dtype) and appears as F32 [out, in]; its state tensors are hidden; everything else passes through.
 */
public final class BnbCheckpoint extends PackedCheckpointSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] AUX = {".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map"};

    private final Map<String, String> stateOf; // weight name -> its quant_state tensor

    private BnbCheckpoint(Path dir, SafetensorsModel model, Map<String, String> stateOf, Set<String> names) {
        super(dir, model, names);
        this.stateOf = stateOf;
    }

    public static BnbCheckpoint open(Path dir) {
        SafetensorsModel model = SafetensorsModel.open(dir);
        try {
            Map<String, String> stateOf = new LinkedHashMap<>();
            for (String n : model.names()) {
                int k = n.indexOf(Bnb4BitTensors.STATE_PREFIX);
                if (k > 0) stateOf.put(n.substring(0, k), n);
            }
            if (stateOf.isEmpty()) throw CalqException.file(dir, "config.json says bitsandbytes but no tensor holds a 4-bit quant_state");
            Set<String> names = new LinkedHashSet<>();
            outer:
            for (String n : model.names()) {
                if (n.contains(Bnb4BitTensors.STATE_PREFIX)) continue;
                for (String a : AUX)
                    if (n.endsWith(a) && stateOf.containsKey(n.substring(0, n.length() - a.length()))) continue outer;
                names.add(n);
            }
            for (String w : stateOf.keySet()) if (!model.contains(w)) throw CalqException.file(dir, stateOf.get(w) + " has no packed weight " + w);
            return new BnbCheckpoint(dir, model, Collections.unmodifiableMap(stateOf), Collections.unmodifiableSet(names));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The quantized weight names, e.g. "model.layers.0.mlp.up_proj.weight". */
    public Set<String> quantizedWeights() { return stateOf.keySet(); }

    @Override
    public Tensor get(String name) {
        if (!contains(name)) throw CalqException.file(dir, "has no tensor " + name);
        if (!stateOf.containsKey(name)) return model.get(name);
        State s = state(name);
        return Tensor.ofFloats(name, dequantize(name, s), s.out, s.in);
    }

    /** The JSON fields of a layer's quant_state. */
    public record State(Bnb4BitType type, int blocksize, DType dtype, int out, int in, boolean nested, int nestedBlocksize, float offset) {}

    public State state(String weight) {
        Tensor st = model.get(stateOf.get(weight));
        byte[] bytes = new byte[(int) st.numel()];
        if (st.dtype() != DType.U8 || st.rank() != 1) throw bad(st, "must be a U8 vector of JSON bytes");
        java.lang.foreign.MemorySegment.copy(st.data(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes, 0, bytes.length);
        JsonNode j;
        try {
            j = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw bad(st, "is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Bnb4BitType type = Bnb4BitType.of(j.path("quant_type").asText());
        if (type == null) throw bad(st, "quant_type \"" + j.path("quant_type").asText() + "\" is not nf4 or fp4");
        DType dtype = Bnb4BitTensors.dtypeOf(j.path("dtype").asText());
        if (dtype == null) throw bad(st, "dtype \"" + j.path("dtype").asText() + "\" is not bfloat16, float16 or float32");
        JsonNode shape = j.path("shape");
        if (!shape.isArray() || shape.size() != 2 || shape.get(0).asLong() <= 0 || shape.get(1).asLong() <= 0
                || shape.get(0).asLong() * shape.get(1).asLong() > Integer.MAX_VALUE - 8)
            throw bad(st, "shape " + shape + " is not a 2-D weight shape");
        int bs = j.path("blocksize").asInt(0);
        if (bs <= 0) throw bad(st, "blocksize " + j.path("blocksize") + " is not positive");
        boolean nested = j.has("nested_offset");
        int nbs = j.path("nested_blocksize").asInt(0);
        if (nested && (nbs <= 0 || !"float32".equals(j.path("nested_dtype").asText("float32"))))
            throw bad(st, "nested quantization needs a positive nested_blocksize and nested_dtype float32");
        return new State(type, bs, dtype, shape.get(0).asInt(), shape.get(1).asInt(), nested, nbs, (float) j.path("nested_offset").asDouble(0));
    }

    private float[] dequantize(String w, State s) {
        int n = s.out * s.in, blocks = (n + s.blocksize - 1) / s.blocksize;
        Tensor packed = model.get(w);
        if (packed.dtype() != DType.U8 || packed.numel() != (n + 1) / 2) throw bad(packed, "must hold " + (n + 1) / 2 + " bytes (U8) for " + n + " 4-bit values");
        float[] qmap = floats(w + ".quant_map", 16);
        float[] absmax;
        Tensor am = model.get(w + ".absmax");
        if (am.numel() != blocks) throw bad(am, "has " + am.numel() + " values for " + blocks + " blocks");
        if (s.nested) {
            if (am.dtype() != DType.U8) throw bad(am, "must be U8 codes when the state is nested");
            float[] nmap = floats(w + ".nested_quant_map", 256);
            float[] nabs = floats(w + ".nested_absmax", (blocks + s.nestedBlocksize - 1) / s.nestedBlocksize);
            absmax = new float[blocks];
            for (int b = 0; b < blocks; b++)
                absmax[b] = nmap[am.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, b) & 0xff] * nabs[b / s.nestedBlocksize] + s.offset;
        } else {
            if (!am.dtype().isFloat()) throw bad(am, "must be float when the state is not nested");
            absmax = am.toFloatArray();
        }
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            int byteV = packed.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, j / 2) & 0xff;
            int idx = j % 2 == 0 ? byteV >>> 4 : byteV & 15;
            out[j] = Bnb4BitLayer.roundTo(s.dtype, qmap[idx] * absmax[j / s.blocksize]);
        }
        return out;
    }

    private float[] floats(String name, long count) {
        if (!model.contains(name)) throw CalqException.file(dir, "has no " + name);
        Tensor t = model.get(name);
        if (!t.dtype().isFloat() || t.numel() != count) throw bad(t, "must hold " + count + " float values, has " + t.numel() + " " + t.dtype() + " " + Arrays.toString(t.shape()));
        return t.toFloatArray();
    }

    private CalqException bad(Tensor t, String problem) { return CalqException.file(dir, t.name() + " " + problem); }
}
