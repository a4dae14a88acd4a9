package dev.calq.cli.inspect;

import java.nio.file.Path;

/**
 * One model format {@code calq inspect} understands. {@link Inspectors} asks each in turn whether it accepts a path,
 * so specific formats (a GPTQ folder is also a safetensors folder) must come before general ones.
 */
public interface ModelInspector {
    /** Short description for the error listing what inspect accepts, e.g. "a .gguf file". */
    String accepts();

    /** Cheap check (names, a few header bytes) whether this inspector handles {@code path}. */
    boolean handles(Path path);

    /** Reads {@code path}; bad input is a CalqException naming the file. */
    Inspection inspect(Path path);
}
