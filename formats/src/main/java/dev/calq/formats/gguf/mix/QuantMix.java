package dev.calq.formats.gguf.mix;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * llama-quantize's named mixes ("ftypes"): a default type plus per-tensor promotions and fallbacks, following
 * llama_tensor_get_type in llama.cpp's src/llama-quant.cpp for dense (non-MoE, non-Falcon) models. The id is the
 * llama_ftype value stored as general.file_type.
 */
public enum QuantMix {
    F32(0, GgmlType.F32), F16(1, GgmlType.F16), BF16(32, GgmlType.BF16),
    Q4_0(2, GgmlType.Q4_0), Q4_1(3, GgmlType.Q4_1), Q8_0(7, GgmlType.Q8_0), Q5_0(8, GgmlType.Q5_0), Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K), Q2_K_S(21, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K), Q3_K_M(12, GgmlType.Q3_K), Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K), Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K), Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    IQ4_NL(25, GgmlType.IQ4_NL), IQ4_XS(30, GgmlType.IQ4_XS),
    IQ1_S(24, GgmlType.IQ1_S), IQ1_M(31, GgmlType.IQ1_M),
    IQ2_XXS(19, GgmlType.IQ2_XXS), IQ2_XS(20, GgmlType.IQ2_XS), IQ2_S(28, GgmlType.IQ2_XS), IQ2_M(29, GgmlType.IQ2_S),
    IQ3_XXS(23, GgmlType.IQ3_XXS), IQ3_XS(22, GgmlType.IQ3_S), IQ3_S(26, GgmlType.IQ3_S), IQ3_M(27, GgmlType.IQ3_S);

    private final int fileType;
    private final GgmlType defaultType;

    QuantMix(int fileType, GgmlType defaultType) {
        this.fileType = fileType;
        this.defaultType = defaultType;
    }

    public int fileType() { return fileType; }

    public GgmlType defaultType() { return defaultType; }

    /** Whether the default type is a block-quantized one (F32/F16/BF16 mixes take no per-tensor decisions). */
    public boolean quantized() { return defaultType.blockSize() > 1; }

    /** Looks a mix up by name, ignoring case ("q4_k_m", "Q8_0", "f16"). */
    public static QuantMix forName(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (QuantMix m : values()) if (m.name().equals(n)) return m;
        throw new CalqException("unknown GGUF type " + name + "; choose one of " + names());
    }

    public static String names() { return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")); }

    /** The low-bit mixes whose output tensor is Q5_K and whose other tensors follow the IQ1/IQ2 rules. */
    private boolean lowBit() {
        return switch (this) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M -> true;
            default -> false;
        };
    }

    /** IQ2_S and IQ2_M promote to IQ3_S where the other low-bit mixes promote to Q2_K. */
    private boolean iq2sOrM() { return this == IQ2_S || this == IQ2_M; }

    /**
     * llama-quantize's choice for one tensor, before manual overrides and the row-length fallback
     * (see {@link MixChooser}); updates the context's attn_v / ffn_down / ffn_gate / ffn_up counters. The branches
     * follow llama_tensor_get_type_impl in the same order, for dense (non-MoE, non-Falcon) models.
     * {@code outputType} is --output-tensor-type, or null.
     */
    GgmlType promote(String name, long[] ne, MixContext ctx, GgmlType outputType) {
        TensorCategory cat = TensorCategory.of(name);
        GgmlType t = defaultType;
        if (cat == TensorCategory.OUTPUT || (ctx.tiedEmbeddings() && cat == TensorCategory.TOKEN_EMBD)) {
            if (outputType != null) return outputType; // --output-tensor-type, reaching a tied token_embd this way
            if (ne[0] % t.blockSize() != 0) return GgmlType.Q8_0;
            if (lowBit() || this == IQ3_XXS) return GgmlType.Q5_K;
            return t == GgmlType.Q8_0 ? t : GgmlType.Q6_K;
        }
        if (cat == TensorCategory.TOKEN_EMBD) { // an explicit --token-embedding-type never gets here (MixChooser)
            return switch (this) {
                case IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M -> GgmlType.Q2_K;
                case IQ2_S, IQ2_M, IQ3_XXS -> GgmlType.IQ3_S;
                default -> t;
            };
        }
        if (lowBit()) {
            if (cat.isAttentionV()) {
                t = ctx.gqa() >= 4 ? GgmlType.Q4_K : iq2sOrM() ? GgmlType.IQ3_S : GgmlType.Q2_K;
                ctx.iAttentionWv++;
            } else if (cat == TensorCategory.FFN_DOWN) {
                if (ctx.iFfnDown < ctx.nLayers() / 8) t = iq2sOrM() ? GgmlType.IQ3_S : GgmlType.Q2_K;
                ctx.iFfnDown++;
            } else if (cat == TensorCategory.ATTENTION_OUTPUT) {
                if (this == IQ1_S || this == IQ1_M) t = GgmlType.IQ2_XXS;
                else if (iq2sOrM()) t = GgmlType.IQ3_S;
            }
            return t;
        }
        int gqa = ctx.gqa();
        switch (cat) {
            case ATTENTION_V, ATTENTION_QKV, ATTENTION_KV_B -> { // fused qkv and kv_b take the attn_v rules and counter (llama.cpp's own attn_qkv branch is never reached)
                int i = ctx.iAttentionWv, n = ctx.nAttentionWv();
                switch (this) {
                    case Q2_K -> t = gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                    case Q2_K_S -> { if (gqa >= 4) t = GgmlType.Q4_K; }
                    case IQ3_XXS -> t = gqa >= 4 ? GgmlType.Q4_K : !ctx.hasImatrix() ? GgmlType.IQ3_S : GgmlType.IQ3_XXS;
                    case IQ3_XS, IQ3_S -> { if (gqa >= 4) t = GgmlType.Q4_K; }
                    case IQ3_M -> t = GgmlType.Q4_K;
                    case Q3_K_M -> t = i < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                    case Q3_K_L -> t = GgmlType.Q5_K;
                    case IQ4_NL, IQ4_XS -> { if (gqa >= 4) t = GgmlType.Q5_K; }
                    case Q4_K_M, Q5_K_M -> { if (useMoreBits(i, n)) t = GgmlType.Q6_K; }
                    case Q4_K_S -> { if (i < 4) t = GgmlType.Q5_K; }
                    default -> { }
                }
                // a 70B Llama shares each attn_v among 8 heads: the tensor is small, so it gets more bits cheaply
                if (ctx.seventyB() && (t == GgmlType.Q3_K || t == GgmlType.Q4_K)) t = GgmlType.Q5_K;
                ctx.iAttentionWv++;
            }
            case ATTENTION_K, ATTENTION_Q -> {
                if (this == IQ3_XS) t = GgmlType.IQ3_XXS;
                else if (this == IQ3_XXS) t = GgmlType.IQ2_S;
            }
            case FFN_DOWN -> {
                int i = ctx.iFfnDown, n = ctx.nLayers();
                switch (this) {
                    case Q2_K -> t = GgmlType.Q3_K;
                    case Q2_K_S -> { if (i < n / 8) t = GgmlType.Q4_K; }
                    case IQ3_XXS -> { if (!ctx.hasImatrix()) t = i < n / 8 ? GgmlType.Q4_K : GgmlType.Q3_K; }
                    case Q3_K_M -> t = i < n / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                    case IQ3_M -> { if (i < n / 8) t = GgmlType.Q4_K; }
                    case Q3_K_L -> t = GgmlType.Q5_K;
                    case Q4_K_M, Q5_K_M -> { if (useMoreBits(i, n)) t = GgmlType.Q6_K; }
                    case IQ4_NL, IQ4_XS -> { if (i < n / 8 && !ctx.hasImatrix()) t = GgmlType.Q5_K; }
                    case Q4_K_S -> { if (i < n / 8) t = GgmlType.Q5_K; }
                    case Q4_0, Q5_0 -> { if (ctx.hasImatrix() && i < n / 8) t = this == Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1; }
                    default -> { }
                }
                ctx.iFfnDown++;
            }
            case ATTENTION_OUTPUT -> {
                switch (this) {
                    case Q2_K -> t = GgmlType.Q3_K;
                    case IQ3_XXS -> t = GgmlType.IQ3_S;
                    case Q3_K_M, IQ3_M -> t = GgmlType.Q4_K;
                    case Q3_K_L -> t = GgmlType.Q5_K;
                    default -> { }
                }
            }
            case FFN_GATE, FFN_UP -> {
                int i = cat == TensorCategory.FFN_GATE ? ctx.iFfnGate++ : ctx.iFfnUp++, n = ctx.nLayers();
                if (this == IQ3_XS && i >= n / 8 && i < 7 * n / 8) t = GgmlType.IQ3_XXS;
            }
            default -> { }
        }
        return t;
    }

    /** The first and last eighth of the layers, and every third one between, get more bits. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** llama-quantize's replacement (or F16 where it defines none) when a row length is not a multiple of the chosen type's block size. */
    static GgmlType fallback(String name, long ne0, GgmlType t) {
        if (ne0 % t.blockSize() == 0) return t;
        GgmlType f = switch (t) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> GgmlType.IQ4_NL;
            case Q2_K, Q3_K, TQ1_0, TQ2_0, Q2_0 -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            // llama-quantize aborts here; calq keeps such a tensor in F16 instead
            default -> GgmlType.F16;
        };
        return ne0 % f.blockSize() == 0 ? f : GgmlType.F16;
    }
}
