package dev.calq.formats.bnb;

import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One 4-bit layer as transformers' save_pretrained writes a bitsandbytes Linear4bit (QuantState.as_dict(packed=True)):
 * {@code W.weight} U8 [n/2, 1] with two indices a byte, the first in the high nibble; {@code W.weight.absmax}
 * (U8 [blocks] when double-quantized, else F32); {@code W.weight.quant_map} F32 [16]; with double quantization
 * {@code W.weight.nested_absmax} F32 and {@code W.weight.nested_quant_map} F32 [256]; and
 * {@code W.weight.quant_state.bitsandbytes__TYPE}, U8 bytes of the JSON of the non-tensor fields (quant_type,
 * blocksize, dtype, shape and the nested blocksize, dtype and offset).
 */
public final class Bnb4BitTensors {
    public static final String STATE_PREFIX = ".quant_state.bitsandbytes__";

    private Bnb4BitTensors() {}

    public static List<Tensor> build(String prefix, Bnb4BitLayer layer, boolean doubleQuant) {
        String w = prefix + ".weight";
        int n = layer.codes().length;
        byte[] packed = new byte[(n + 1) / 2];
        for (int j = 0; j < n; j++) packed[j / 2] |= (byte) (j % 2 == 0 ? layer.codes()[j] << 4 : layer.codes()[j]);
        List<Tensor> t = new ArrayList<>(6);
        t.add(new Tensor(w, DType.U8, new long[] {packed.length, 1}, MemorySegment.ofArray(packed)));
        StringBuilder json = new StringBuilder();
        json.append("{\"quant_type\": \"").append(layer.type().jsonName()).append("\", \"blocksize\": ").append(Bnb4BitLayer.BLOCK)
                .append(", \"dtype\": \"").append(dtypeName(layer.dtype())).append("\", \"shape\": [").append(layer.out()).append(", ")
                .append(layer.in()).append("]");
        if (doubleQuant) {
            BnbDoubleQuant dq = BnbDoubleQuant.of(layer.absmax());
            byte[] codes = new byte[dq.codes().length];
            for (int j = 0; j < codes.length; j++) codes[j] = (byte) dq.codes()[j];
            t.add(new Tensor(w + ".absmax", DType.U8, new long[] {codes.length}, MemorySegment.ofArray(codes)));
            t.add(Tensor.ofFloats(w + ".quant_map", layer.type().code(), 16));
            t.add(Tensor.ofFloats(w + ".nested_absmax", dq.nestedAbsmax(), dq.nestedAbsmax().length));
            t.add(Tensor.ofFloats(w + ".nested_quant_map", dq.map(), dq.map().length));
            json.append(", \"nested_blocksize\": ").append(BnbDoubleQuant.NESTED_BLOCK).append(", \"nested_dtype\": \"float32\", \"nested_offset\": ")
                    .append(String.format(Locale.ROOT, "%s", (double) dq.offset()));
        } else {
            t.add(Tensor.ofFloats(w + ".absmax", layer.absmax(), layer.absmax().length));
            t.add(Tensor.ofFloats(w + ".quant_map", layer.type().code(), 16));
        }
        json.append("}");
        byte[] js = json.toString().getBytes(StandardCharsets.UTF_8);
        t.add(new Tensor(w + STATE_PREFIX + layer.type().jsonName(), DType.U8, new long[] {js.length}, MemorySegment.ofArray(js)));
        return t;
    }

    /** torch's dtype name without "torch.", as QuantState writes it. */
    static String dtypeName(DType d) {
        return switch (d) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F32 -> "float32";
            default -> throw new IllegalArgumentException("dtype " + d);
        };
    }

    static DType dtypeOf(String name) {
        return switch (name) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            case "float32" -> DType.F32;
            default -> null;
        };
    }
}
