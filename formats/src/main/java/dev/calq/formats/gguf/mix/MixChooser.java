package dev.calq.formats.gguf.mix;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A {@link TypeChooser} that reproduces llama-quantize: which tensors may be quantized at all, explicit
 * token_embd / output types, {@code --tensor-type REGEX=TYPE} overrides (first match wins, searched anywhere in the
 * name with a lower-cased pattern, applied only to quantized mixes, as llama-quantize does), the mix's promotions
 * (skipped by {@code --pure} and by an override) and the row-length fallbacks.
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
    private final MixOptions options;

    public MixChooser(QuantMix mix, MixContext context, List<Override> overrides) {
        this(mix, context, new MixOptions(overrides, false, null, null));
    }

    public MixChooser(QuantMix mix, MixContext context, MixOptions options) {
        this.mix = mix;
        this.context = context;
        this.options = options;
    }

    @java.lang.Override public GgmlType typeFor(String name, long[] ne) {
        if (!quantizable(name, ne)) return ne.length < 2 || !mix.quantized() && mix.defaultType() == GgmlType.F32 ? GgmlType.F32
                : mix.quantized() ? GgmlType.F16 : mix.defaultType();
        // llama-quantize returns explicit token_embd / output types as given, before any fallback
        TensorCategory cat = TensorCategory.of(name);
        if (options.tokenEmbeddingType() != null && cat == TensorCategory.TOKEN_EMBD) return options.tokenEmbeddingType();
        if (options.outputType() != null && cat == TensorCategory.OUTPUT) return options.outputType();
        if (!mix.quantized()) return mix.defaultType();
        GgmlType t = null;
        for (Override o : options.overrides()) {
            if (o.pattern().matcher(name).find()) {
                t = o.type();
                break;
            }
        }
        if (t == null) t = options.pure() ? mix.defaultType() : mix.promote(name, ne, context, options.outputType());
        return QuantMix.fallback(name, ne[0], t);
    }

    /**
     * Whether llama-quantize refuses to write this tensor at this type without an importance matrix: the IQ1, IQ2
     * and IQ3_XXS types, and Q2_K inside a Q2_K_S file ({@code mix} may be null), except on token_embd and output.
     */
    public static boolean requiresImatrix(String name, GgmlType type, QuantMix mix) {
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight") || name.equals("output.weight")) return false;
        return Quantizers.refusedWithoutImportance(type) || type == GgmlType.Q2_K && mix == QuantMix.Q2_K_S;
    }

    /** llama-quantize's tensor_allows_quantization for the tensor kinds calq writes: 2-D+ weights except norms. */
    static boolean quantizable(String name, long[] ne) {
        int dims = ne.length;
        while (dims > 1 && ne[dims - 1] == 1) dims--; // ggml_n_dims ignores trailing 1s
        return dims >= 2 && name.endsWith("weight") && !name.contains("_norm.weight") && !name.contains("ffn_gate_inp.weight");
    }

    @java.lang.Override public boolean requiresImatrix(String ggufName, GgmlType type) {
        return type.blockSize() > 1 && requiresImatrix(ggufName, type, mix);
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
