package dev.calq.formats.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The decoder-only families calq supports, by the class name in config.json's "architectures". */
public enum Architecture {
    LLAMA("LlamaForCausalLM"),
    MISTRAL("MistralForCausalLM"),
    QWEN2("Qwen2ForCausalLM"),
    QWEN3("Qwen3ForCausalLM");

    private final String hfClass;

    Architecture(String hfClass) { this.hfClass = hfClass; }

    public String hfClass() { return hfClass; }

    /** Qwen2 has biases on q/k/v. */
    public boolean defaultQkvBias() { return this == QWEN2; }

    /** Qwen3 normalises each head of q and k with its own RMSNorm before rotary embedding. */
    public boolean hasQkNorm() { return this == QWEN3; }

    public static Architecture fromHfClass(String name) {
        for (Architecture a : values()) if (a.hfClass.equals(name)) return a;
        return null;
    }

    public static String supportedList() {
        return Arrays.stream(values()).map(Architecture::hfClass).collect(Collectors.joining(", "));
    }
}
