package dev.calq.cli;

import dev.calq.formats.gguf.mix.MixOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** llama-quantize's per-tensor knobs, shared by {@code convert} and {@code quantize --format gguf}. */
final class MixFlags {
    @Option(names = "--tensor-type", paramLabel = "REGEX=TYPE", description = "Override the type of tensors whose GGUF name matches REGEX (repeatable; first match wins).")
    List<String> tensorTypes = new ArrayList<>();

    @Option(names = "--tensor-type-file", paramLabel = "FILE", description = "Overrides REGEX=TYPE read from a file (whitespace separated, after any --tensor-type), as llama-quantize reads them; quantize --target-size writes one.")
    java.nio.file.Path tensorTypeFile;

    @Option(names = "--pure", description = "Use the mix's default type for every tensor: no promotions of attn_v, ffn_down, output, ... (as llama-quantize --pure).")
    boolean pure;

    @Option(names = "--output-tensor-type", paramLabel = "TYPE", description = "ggml type of output.weight (and of a tied token_embd), e.g. q8_0.")
    String outputTensorType;

    @Option(names = "--token-embedding-type", paramLabel = "TYPE", description = "ggml type of token_embd.weight, e.g. q4_k.")
    String tokenEmbeddingType;

    @Option(names = "--dry-run", description = "Print every tensor's type, bits per weight and size and the file size, and write nothing.")
    boolean dryRun;

    MixOptions options() {
        List<String> all = new ArrayList<>(tensorTypes);
        if (tensorTypeFile != null) all.addAll(TensorTypeFile.read(tensorTypeFile));
        return MixOptions.parse(all, pure, outputTensorType, tokenEmbeddingType);
    }
}
