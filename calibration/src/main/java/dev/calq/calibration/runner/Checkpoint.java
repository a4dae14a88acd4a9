package dev.calq.calibration.runner;

import dev.calq.formats.CalqException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The runner's state after each finished layer, in the work folder: the hidden states that feed the next layer
 * ({@code hidden-L.bin}, and {@code hidden-fp-L.bin} for the full-precision stream of a method that asks for one), what the method produced for every finished layer ({@code layer-L/}), and {@code state}
 * naming the last finished layer. Every file is complete before {@code state} points at it (written under a
 * temporary name, then renamed), so a run killed at any moment, even by SIGKILL, resumes from a consistent layer.
 */
final class Checkpoint {
    private final Path dir;
    private final String runKey;

    Checkpoint(Path dir, String runKey) {
        this.dir = dir;
        this.runKey = runKey;
    }

    /** The last finished layer, or -1 when there is no checkpoint. Refuses a checkpoint of another run. */
    int lastLayer() {
        Path state = dir.resolve("state");
        if (!Files.isRegularFile(state)) return -1;
        try {
            String[] lines = Files.readString(state, StandardCharsets.UTF_8).split("\n", 2);
            int layer = Integer.parseInt(lines[0].trim());
            String key = lines.length > 1 ? lines[1] : "";
            if (!key.equals(runKey))
                throw CalqException.file(state, "the checkpoint belongs to a run with other options or inputs; rerun without --resume to start over");
            return layer;
        } catch (IOException | NumberFormatException e) {
            throw CalqException.file(state, "unreadable checkpoint state: " + e.getMessage());
        }
    }

    /** {@code fullInto}: the full-precision stream's store (null when the run has none). */
    void restore(HiddenStore into, HiddenStore fullInto, LayerMethod method, int lastLayer) throws IOException {
        load(into, "hidden-", lastLayer);
        if (fullInto != null) load(fullInto, "hidden-fp-", lastLayer);
        for (int l = 0; l <= lastLayer; l++) method.loadLayer(l, dir.resolve("layer-" + l));
    }

    /** Starts a fresh run: removes any earlier checkpoint in the folder. */
    void reset() throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.equals("state") || n.startsWith("hidden-") && n.endsWith(".bin") || n.startsWith("layer-")) deleteTree(p);
            }
        }
    }

    void save(HiddenStore hidden, HiddenStore fullHidden, LayerMethod method, int layer) throws IOException {
        Path layerDir = dir.resolve("layer-" + layer);
        Path layerTmp = dir.resolve("layer-" + layer + ".tmp");
        deleteTree(layerTmp);
        Files.createDirectories(layerTmp);
        method.saveLayer(layer, layerTmp);
        deleteTree(layerDir);
        Files.move(layerTmp, layerDir, StandardCopyOption.ATOMIC_MOVE);

        if (fullHidden != null) store(fullHidden, "hidden-fp-", layer);
        store(hidden, "hidden-", layer);

        Path stateTmp = dir.resolve("state.tmp");
        Files.writeString(stateTmp, layer + "\n" + runKey, StandardCharsets.UTF_8);
        Files.move(stateTmp, dir.resolve("state"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(dir.resolve("hidden-" + (layer - 1) + ".bin"));
        Files.deleteIfExists(dir.resolve("hidden-fp-" + (layer - 1) + ".bin"));
    }

    /** Writes {@code hidden} as PREFIX-LAYER.bin, complete under a temporary name before the rename. */
    private void store(HiddenStore hidden, String prefix, int layer) throws IOException {
        Path tmp = dir.resolve(prefix + layer + ".bin.tmp");
        hidden.saveTo(tmp);
        Files.move(tmp, dir.resolve(prefix + layer + ".bin"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void load(HiddenStore into, String prefix, int layer) throws IOException {
        Path file = dir.resolve(prefix + layer + ".bin");
        if (!Files.isRegularFile(file)) throw CalqException.file(file, "missing from the checkpoint");
        into.loadFrom(file);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
