package dev.calq.formats.model;

/**
 * rope_scaling from config.json. {@code type} is "default" when absent; "llama3" uses factor, low/high frequency
 * factors and the original context length; "linear" divides positions by factor.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 1.0, 4.0, 8192);

    public boolean isDefault() { return "default".equals(type); }
}
