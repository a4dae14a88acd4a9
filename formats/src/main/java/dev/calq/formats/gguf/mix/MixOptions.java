package dev.calq.formats.gguf.mix;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.util.List;

/**
 * llama-quantize's knobs on top of a mix: {@code --tensor-type REGEX=TYPE} overrides, {@code --pure} (the mix's
 * default type everywhere, no promotions), {@code --output-tensor-type} and {@code --token-embedding-type}
 * (null when not given).
 */
public record MixOptions(List<MixChooser.Override> overrides, boolean pure, GgmlType outputType, GgmlType tokenEmbeddingType) {
    public static final MixOptions NONE = new MixOptions(List.of(), false, null, null);

    public MixOptions {
        overrides = List.copyOf(overrides);
    }

    /** Parses the command-line spellings; null or blank type names mean "not given". */
    public static MixOptions parse(List<String> tensorTypes, boolean pure, String outputType, String tokenEmbeddingType) {
        return new MixOptions(MixChooser.parseAll(tensorTypes), pure, type("--output-tensor-type", outputType),
                type("--token-embedding-type", tokenEmbeddingType));
    }

    private static GgmlType type(String option, String name) {
        if (name == null || name.isBlank()) return null;
        try {
            return GgmlType.fromName(name.trim());
        } catch (IllegalArgumentException e) {
            throw new CalqException(option + " " + name + ": unknown ggml type");
        }
    }
}
