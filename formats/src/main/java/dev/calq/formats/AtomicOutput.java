package dev.calq.formats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a file or a folder under a temporary name beside the target and renames it into place only when
 * complete, so that a crash or an error never leaves a half-written output under the real name.
 */
public final class AtomicOutput {
    private AtomicOutput() {}

    /** A temporary sibling path for {@code target}: same folder, so the final rename is atomic. */
    public static Path tempSibling(Path target) {
        Path abs = target.toAbsolutePath();
        return abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    /** Moves {@code temp} onto {@code target} (replacing an existing file, never a folder unless allowed). */
    public static void commit(Path temp, Path target, boolean replaceExisting) {
        try {
            if (Files.isDirectory(target) && replaceExisting) deleteRecursively(target);
            try {
                if (replaceExisting) Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                else Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                if (replaceExisting) Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                else Files.move(temp, target);
            }
        } catch (FileAlreadyExistsException e) {
            throw new CalqException(target + ": already exists (pass --overwrite to replace it)");
        } catch (IOException e) {
            throw new CalqException(target + ": cannot move the finished output into place: " + e.getMessage(), e);
        }
    }

    /** Best-effort removal of a temporary file or folder after a failure. */
    public static void discard(Path temp) {
        try {
            if (Files.isDirectory(temp)) deleteRecursively(temp);
            else Files.deleteIfExists(temp);
        } catch (IOException | UncheckedIOException ignored) {
            // The original error matters more than a leftover temporary file.
        }
    }

    /**
     * Refuses an output path that is one of the inputs, or that exists without {@code overwrite}.
     * Call before any work starts so that a long run does not fail at its very end.
     */
    public static void checkTarget(Path output, boolean overwrite, Path... inputs) {
        Path out = output.toAbsolutePath().normalize();
        for (Path in : inputs) {
            if (in != null && out.equals(in.toAbsolutePath().normalize()))
                throw new CalqException(output + ": the output would overwrite an input; choose another path");
        }
        if (Files.exists(output) && !overwrite)
            throw new CalqException(output + ": already exists (pass --overwrite to replace it)");
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
