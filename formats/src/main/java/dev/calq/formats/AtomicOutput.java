package dev.calq.formats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a file or a folder under a temporary name beside the target and renames it into place only when
 * complete, so that a crash or an error never leaves a half-written output under the real name.
 *
 * <p>It is also the output guard: no run may replace or delete one of its inputs, a folder holding one, the working
 * directory (or a folder above it), or a non-empty folder calq did not write. Folders calq writes carry the marker
 * file {@link #MARKER}, and only those (or empty folders) are ever deleted to make room for a new output.
 */
public final class AtomicOutput {
    /** The file inside every output folder calq writes; its presence is what allows --overwrite to delete the folder. */
    public static final String MARKER = ".calq-output";

    private static final Pattern TEMP_NAME = Pattern.compile("\\.(.+)\\.tmp-(\\d+)-\\d+");

    private AtomicOutput() {}

    /**
     * A temporary sibling path for {@code target}: same folder, so the final rename is atomic. Temporaries of the same
     * target left by earlier runs that were killed (their process no longer exists) are removed first.
     */
    public static Path tempSibling(Path target) {
        Path abs = target.toAbsolutePath();
        removeStaleTemporaries(abs);
        return abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    /** Removes {@code .NAME.tmp-PID-NANOS} siblings of {@code target} whose process PID is gone (kill -9, power loss). */
    static void removeStaleTemporaries(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) return;
        String name = abs.getFileName().toString();
        removeFilesOfDeadProcesses(dir, file -> {
            Matcher m = TEMP_NAME.matcher(file);
            return m.matches() && m.group(1).equals(name) ? parsePid(m.group(2)) : -1;
        });
    }

    /**
     * Deletes the files (or folders) of {@code dir} that belong to a process no longer running: {@code pidOf} gives
     * the process id in a file's name, or -1 for a file that is not such a leftover. A run killed by SIGKILL cannot
     * remove its own temporaries; the next run does. Files of this process and of live ones are kept.
     */
    public static void removeFilesOfDeadProcesses(Path dir, java.util.function.ToLongFunction<String> pidOf) {
        if (!Files.isDirectory(dir)) return;
        long self = ProcessHandle.current().pid();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                long pid = pidOf.applyAsLong(p.getFileName().toString());
                if (pid > 0 && pid != self && ProcessHandle.of(pid).isEmpty()) discard(p);
            }
        } catch (IOException | UncheckedIOException ignored) {
            // Cleaning up after other runs is a courtesy; it must not fail this one.
        }
    }

    /** A process id written as decimal digits, or -1 when it is not one. */
    public static long parsePid(String digits) {
        if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(Character::isDigit)) return -1;
        return Long.parseLong(digits);
    }

    /** Marks a folder being written (the temporary) as a calq output, so that a later --overwrite may replace it. */
    public static void markAsOutput(Path folder) throws IOException {
        Files.writeString(folder.resolve(MARKER), "written by calq; --overwrite may replace this folder\n");
    }

    /** Moves {@code temp} onto {@code target} (replacing an existing file, never a folder unless allowed). */
    public static void commit(Path temp, Path target, boolean replaceExisting) {
        try {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) && replaceExisting) {
                refuseForeignFolder(target);
                deleteRecursively(target);
            }
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
            if (Files.isDirectory(temp, LinkOption.NOFOLLOW_LINKS)) deleteRecursively(temp);
            else Files.deleteIfExists(temp);
        } catch (IOException | UncheckedIOException ignored) {
            // The original error matters more than a leftover temporary file.
        }
    }

    /** Refuses two outputs of one run that name the same file (the second would replace the first, or fail at the end). */
    public static void checkDistinct(List<Path> outputs) {
        Set<Path> seen = new HashSet<>();
        for (Path p : outputs) if (!seen.add(canonical(p))) throw new CalqException(p + ": named as two outputs of this run; give each its own path");
    }

    /**
     * Refuses an output path that is, or holds, one of the inputs or the working directory; one that exists without
     * {@code overwrite}; and an existing non-empty folder that calq did not write. Also checks that the output's folder
     * exists and is writable. Call before any work starts so that a long run does not fail at its very end.
     * Null inputs are skipped.
     */
    public static void checkTarget(Path output, boolean overwrite, Path... inputs) {
        Path out = canonical(output);
        for (Path in : inputs) {
            if (in == null || !Files.exists(in)) continue;
            Path input = canonical(in);
            if (out.equals(input))
                throw new CalqException(output + ": the output would replace the input " + in + "; choose another path");
            if (input.startsWith(out))
                throw new CalqException(output + ": the output would replace a folder holding the input " + in + "; choose another path");
        }
        Path cwd = canonical(Path.of(""));
        if (cwd.startsWith(out))
            throw new CalqException(output + ": the output would replace the working directory" + (cwd.equals(out) ? "" : " or a folder above it") + "; choose another path");
        if (Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
            if (!overwrite) throw new CalqException(output + ": already exists (pass --overwrite to replace it)");
            if (Files.isDirectory(output, LinkOption.NOFOLLOW_LINKS)) refuseForeignFolder(output);
        }
        Path parent = out.getParent();
        while (parent != null && !Files.exists(parent)) parent = parent.getParent();
        if (parent != null) {
            if (!Files.isDirectory(parent)) throw new CalqException(output + ": " + parent + " is not a folder");
            if (!Files.isWritable(parent)) throw new CalqException(output + ": the folder " + parent + " is not writable");
        }
    }

    /** A non-empty folder without calq's marker is somebody's data: never delete it. */
    private static void refuseForeignFolder(Path folder) {
        if (Files.isRegularFile(folder.resolve(MARKER))) return;
        try (Stream<Path> list = Files.list(folder)) {
            if (list.findAny().isEmpty()) return;
        } catch (IOException e) {
            throw new CalqException(folder + ": cannot list the existing folder: " + e.getMessage());
        }
        throw new CalqException(folder + ": is a non-empty folder that calq did not write (no " + MARKER
                + " file); --overwrite replaces only calq's outputs, so remove it yourself or choose another path");
    }

    /**
     * The absolute, normalized path with symbolic links resolved as far as the path exists, so that two spellings of
     * one location compare equal.
     */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        Path rest = null;
        while (existing != null && !Files.exists(existing)) {
            Path name = existing.getFileName();
            rest = rest == null ? name : name.resolve(rest);
            existing = existing.getParent();
        }
        if (existing == null) return abs;
        try {
            Path real = existing.toRealPath();
            return rest == null ? real : real.resolve(rest);
        } catch (IOException e) {
            return abs;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
