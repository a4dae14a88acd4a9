package dev.calq.formats.bnb;

import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.TensorSource;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code quantize --format nf4}: layers rounded (RTN or GPTQ) onto the NF4/FP4 code table in blocks of 64 with absmax
 * scales become a pre-quantized bitsandbytes checkpoint.
 */
public final class BnbQuantize {
    private BnbQuantize() {}

    public static Bnb4BitType type(String name) {
        Bnb4BitType t = Bnb4BitType.of(name);
        if (t == null) throw new CalqException("--bnb-type " + name + " is not known (nf4 or fp4)");
        return t;
    }

    /** Writes the checkpoint; returns no warnings (kept for symmetry with the grid writers). */
    public static List<String> write(Path model, TensorSource source, Map<String, QuantizedLinear> quantized, Bnb4BitType type,
                              boolean doubleQuant, Path output, boolean overwrite) {
        Map<String, Bnb4BitLayer> layers = new LinkedHashMap<>();
        DType dtype = DType.BF16;
        for (var e : quantized.entrySet()) {
            dtype = BnbCheckpointWriter.dtypeOf(source, e.getKey());
            layers.put(e.getKey(), toBnb(e.getValue(), type, dtype));
        }
        BnbCheckpointWriter.write(model, source, layers, new BnbQuantizationConfig(type, doubleQuant, computeDtype(dtype)),
                SafetensorsWriter.DEFAULT_SHARD_BYTES, output, overwrite);
        return List.of();
    }

    /** A layer on the code table in 64-column groups as bitsandbytes' blocks of the flattened weight (row r, group g is block r * groups + g). */
    static Bnb4BitLayer toBnb(QuantizedLinear q, Bnb4BitType type, DType dtype) {
        if (q.groupSize() != Bnb4BitLayer.BLOCK || q.in() % Bnb4BitLayer.BLOCK != 0)
            throw new CalqException("NF4 blocks of 64 need input sizes divisible by 64, not " + q.in());
        int groups = q.groups();
        float[] absmax = new float[q.out() * groups];
        for (int r = 0; r < q.out(); r++)
            for (int g = 0; g < groups; g++) absmax[r * groups + g] = q.scales()[g * q.out() + r];
        return new Bnb4BitLayer(q.out(), q.in(), type, q.codes(), absmax, dtype);
    }

    static String computeDtype(DType d) {
        return d == DType.F16 ? "float16" : d == DType.F32 ? "float32" : "bfloat16";
    }
}
