package dev.calq.formats.gguf.mix;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A {@link TypeChooser} that reproduces llama-quantize: which tensors may be quantized at all, the mix's
 * promotions, {@code --tensor-type REGEX=TYPE} overrides (first match wins, searched anywhere in the lower-cased
 * name, applied only to quantized mixes, as llama-quantize does) and the row-length fallbacks.
 */
public final class MixChooser implements TypeChooser {
    /** One {@code --tensor-type} override. */
    public record Override(Pattern pattern, GgmlType type) {
        /** Parses "REGEX=TYPE" (the regex is lower-cased like llama-quantize does). */
        public static Override parse(String spec) {
            int eq = spec.indexOf('='); // the first '=' splits, as in llama-quantize
            if (eq <= 0 || eq == spec.length() - 1) throw new CalqException("--tensor-type " + spec + ": expected REGEX=TYPE");
            GgmlType type;
            try {
                type = GgmlType.fromName(spec.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw new CalqException("--tensor-type " + spec + ": unknown ggml type " + spec.substring(eq + 1));
            }
            try {
                return new Override(Pattern.compile(spec.substring(0, eq).toLowerCase(Locale.ROOT)), type);
            } catch (PatternSyntaxException e) {
                throw new CalqException("--tensor-type " + spec + ": bad regular expression: " + e.getDescription());
            }
        }
    }

    private final QuantMix mix;
    private final MixContext context;
    private final List<Override> overrides;

    public MixChooser(QuantMix mix, MixContext context, List<Override> overrides) {
        this.mix = mix;
        this.context = context;
        this.overrides = List.copyOf(overrides);
    }

    @java.lang.Override public GgmlType typeFor(String name, long[] ne) {
        if (!quantizable(name, ne)) return ne.length < 2 || !mix.quantized() && mix.defaultType() == GgmlType.F32 ? GgmlType.F32
                : mix.quantized() ? GgmlType.F16 : mix.defaultType();
        if (!mix.quantized()) return mix.defaultType();
        GgmlType t = null;
        for (Override o : overrides) {
            if (o.pattern().matcher(name).find()) {
                t = o.type();
                break;
            }
        }
        if (t == null) t = mix.promote(name, ne, context);
        return QuantMix.fallback(name, ne[0], t);
    }

    /** llama-quantize's tensor_allows_quantization for the tensor kinds calq writes: 2-D+ weights except norms. */
    static boolean quantizable(String name, long[] ne) {
        int dims = ne.length;
        while (dims > 1 && ne[dims - 1] == 1) dims--; // ggml_n_dims ignores trailing 1s
        return dims >= 2 && name.endsWith("weight") && !name.contains("_norm.weight") && !name.contains("ffn_gate_inp.weight");
    }

    @java.lang.Override public int fileType() { return mix.fileType(); }

    @java.lang.Override public String name() { return mix.name(); }

    public QuantMix mix() { return mix; }

    /** Parses several {@code REGEX=TYPE} specs. */
    public static List<Override> parseAll(List<String> specs) {
        List<Override> out = new ArrayList<>();
        for (String s : specs) out.add(Override.parse(s));
        return out;
    }
}
