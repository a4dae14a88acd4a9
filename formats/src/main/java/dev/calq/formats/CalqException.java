package dev.calq.formats;

import java.nio.file.Path;

/**
 * An expected failure caused by the user's input (a malformed file, a bad option). The CLI prints its message
 * as one line without a stack trace, so the message must name the file and the fault.
 */
public class CalqException extends RuntimeException {
    public CalqException(String message) { super(message); }

    public CalqException(String message, Throwable cause) { super(message, cause); }

    /** "FILE: problem" — the standard shape of a message about a file. */
    public static CalqException file(Path file, String problem) {
        return new CalqException(file + ": " + problem);
    }
}
