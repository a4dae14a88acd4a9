package dev.calq.formats;

import java.nio.file.Path;

/**
 * An expected failure caused by the user's input (a malformed file, a bad option). The CLI prints its message
 * as one line without a stack trace, so the message must name the file and the fault.
 */
public class CalqException extends RuntimeException {
    public CalqException(String message) { super(oneLine(message)); }

    public CalqException(String message, Throwable cause) { super(oneLine(message), cause); }

    /** Names read from a file (tensor names, keys) may hold line breaks; the message stays one line whatever they hold. */
    static String oneLine(String message) {
        if (message == null || (message.indexOf('\n') < 0 && message.indexOf('\r') < 0)) return message;
        return message.replace("\r", "\\r").replace("\n", "\\n");
    }

    /** "FILE: problem" — the standard shape of a message about a file. */
    public static CalqException file(Path file, String problem) {
        return new CalqException(file + ": " + problem);
    }
}
