package dev.calq.formats;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AtomicOutput's guard: no run replaces or deletes its inputs, their folders, the working directory or foreign folders. */
class OutputGuardTest {
    @TempDir Path dir;

    @Test void anOutputNeverReplacesAnInputOrTheFolderHoldingIt() throws Exception {
        Path model = Files.createDirectories(dir.resolve("work/tiny"));
        Files.writeString(model.resolve("config.json"), "{}");
        Path cal = Files.writeString(dir.resolve("cal.txt"), "text");
        CalqException e = assertThrows(CalqException.class, () -> AtomicOutput.checkTarget(dir.resolve("work"), true, model));
        assertEquals(dir.resolve("work") + ": the output would replace a folder holding the input " + model + "; choose another path", e.getMessage());
        e = assertThrows(CalqException.class, () -> AtomicOutput.checkTarget(cal, true, model, cal));
        assertTrue(e.getMessage().contains("would replace the input " + cal), e.getMessage());
        // Another spelling of the same path is the same path.
        e = assertThrows(CalqException.class, () -> AtomicOutput.checkTarget(dir.resolve("work/./tiny/.."), true, model));
        assertTrue(e.getMessage().contains("holding the input"), e.getMessage());
        Files.createSymbolicLink(dir.resolve("alias.txt"), cal);
        e = assertThrows(CalqException.class, () -> AtomicOutput.checkTarget(cal, true, dir.resolve("alias.txt")));
        assertTrue(e.getMessage().contains("would replace the input"), e.getMessage());
        assertDoesNotThrow(() -> AtomicOutput.checkTarget(dir.resolve("out.gguf"), false, model, cal, null));
    }

    @Test void theWorkingDirectoryAndTheFoldersAboveItAreNeverOutputs() {
        for (Path p : new Path[] {Path.of(""), Path.of("."), Path.of("").toAbsolutePath().getParent()}) {
            CalqException e = assertThrows(CalqException.class, () -> AtomicOutput.checkTarget(p, true));
            assertTrue(e.getMessage().contains("would replace the working directory"), e.getMessage());
        }
    }

    @Test void overwriteReplacesOnlyCalqOutputsOrEmptyFolders() throws Exception {
        Path foreign = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(foreign.resolve("a.jpg"), "x");
        CalqException e = assertThrows(CalqException.class, () -> AtomicOutput.checkTarget(foreign, true));
        assertTrue(e.getMessage().startsWith(foreign + ": is a non-empty folder that calq did not write"), e.getMessage());
        Path temp = Files.createFile(dir.resolve("new.gguf"));
        assertThrows(CalqException.class, () -> AtomicOutput.commit(temp, foreign, true));
        assertTrue(Files.exists(foreign.resolve("a.jpg")), "the foreign folder must survive");

        Path ours = Files.createDirectories(dir.resolve("ckpt"));
        AtomicOutput.markAsOutput(ours);
        Files.writeString(ours.resolve("model.safetensors"), "x");
        assertDoesNotThrow(() -> AtomicOutput.checkTarget(ours, true));
        AtomicOutput.commit(temp, ours, true);
        assertTrue(Files.isRegularFile(ours));
        assertDoesNotThrow(() -> AtomicOutput.checkTarget(Files.createDirectories(dir.resolve("empty")), true));
        e = assertThrows(CalqException.class, () -> AtomicOutput.checkTarget(ours, false));
        assertEquals(ours + ": already exists (pass --overwrite to replace it)", e.getMessage());
    }

    @Test void temporariesOfKilledRunsAreRemovedByTheNextRunToTheSameOutput() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long dead = p.pid();
        Path target = dir.resolve("m.gguf");
        Path staleFile = Files.createFile(dir.resolve(".m.gguf.tmp-" + dead + "-123"));
        Path staleDir = Files.createDirectories(dir.resolve(".m.gguf.tmp-" + dead + "-456"));
        Files.writeString(staleDir.resolve("inner"), "x");
        Path live = Files.createFile(dir.resolve(".m.gguf.tmp-" + ProcessHandle.current().pid() + "-789"));
        Path other = Files.createFile(dir.resolve(".other.gguf.tmp-" + dead + "-1"));
        Path fresh = AtomicOutput.tempSibling(target);
        assertFalse(Files.exists(staleFile));
        assertFalse(Files.exists(staleDir));
        assertTrue(Files.exists(live), "a temporary of a live process stays");
        assertTrue(Files.exists(other), "another output's temporaries are not this run's business");
        assertTrue(fresh.getFileName().toString().startsWith(".m.gguf.tmp-" + ProcessHandle.current().pid() + "-"));
    }
}
