package dev.calq.formats.gguf.llama;

import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Names a byte-level BPE tokenizer.json's pre-tokenizer the way llama.cpp's converter does (by hashing the
 * tokenization of a probe text). Running a tokenizer.json needs the tokenizers library, which lives above this
 * module, so the implementation is found with {@link ServiceLoader}; without one on the class path the converter
 * falls back to recognising the split regex.
 */
public interface PreTokenizerIdentifier {
    /**
     * llama.cpp's tokenizer.ggml.pre name for this tokenizer.json, or empty when its hash is not a known one; a
     * {@link dev.calq.formats.CalqException} when the tokenizer cannot be run.
     */
    Optional<String> identify(Path tokenizerJson);

    /** The implementation on the class path, if any. */
    static Optional<PreTokenizerIdentifier> find() {
        return ServiceLoader.load(PreTokenizerIdentifier.class).findFirst();
    }
}
