package dev.calq.formats;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Locates the read-only {@code shared/} folder that sits beside a calq checkout (models and datasets used by
 * tests and benchmarks). Set CALQ_SHARED to point elsewhere. Tests that need it skip when it is absent.
 */
public final class SharedData {
    public static final String MISSING = "../shared not found beside the checkout (set CALQ_SHARED): skipping test that needs the shared model/datasets";

    private SharedData() {}

    public static Optional<Path> root() {
        String env = System.getenv("CALQ_SHARED");
        if (env != null && Files.isDirectory(Path.of(env))) return Optional.of(Path.of(env).toAbsolutePath());
        // Walk up from the working directory (a module folder under Maven): the checkout's sibling "shared".
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("models")) && Files.isRegularFile(p.resolve("pom.xml")) && !Files.isRegularFile(p.getParent() == null ? p : p.getParent().resolve("pom.xml"))) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    public static boolean available() { return root().isPresent(); }

    /** The shared tiny Llama model folder (throws if shared/ is absent: guard with {@link #available()}). */
    public static Path tinyLlama() { return root().orElseThrow().resolve("models/tinyllama-en-58m"); }

    /** The shared Llama with the Llama-3 byte-level BPE tokenizer (guard with {@link #available()}). */
    public static Path llama3Bpe() { return root().orElseThrow().resolve("models/llama3-bpe-36m"); }

    public static Path wikiTest() { return root().orElseThrow().resolve("datasets/wikitext-2-raw/wiki.test.raw"); }

    public static Path calibrationText() { return root().orElseThrow().resolve("datasets/calibration/calibration-en.txt"); }
}
