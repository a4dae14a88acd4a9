package dev.calq.calibration.runner;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Two methods on every layer, one after the other, in one runner pass: the first method's stages, then the second's
 * (AWQ's scale search and folding, then GPTQ's stages on the scaled layer, which observe the scaled inputs). The
 * runner calls each stage's observer and then its update, in order, so a cursor per layer says whose stage it is.
 * Each method's resume data goes to its own sub-folder of the layer's checkpoint folder.
 */
public final class ChainedMethod implements LayerMethod {
    private final LayerMethod first, second;
    private int layer = -1, cursor, firstStages;

    public ChainedMethod(LayerMethod first, LayerMethod second) {
        this.first = first;
        this.second = second;
    }

    @Override
    public List<Set<InputSite>> stages() {
        List<Set<InputSite>> a = first.stages(), all = new ArrayList<>(a);
        all.addAll(second.stages());
        firstStages = a.size();
        return all;
    }

    @Override
    public LinearInputObserver observer(int layer, Set<InputSite> stage) {
        if (layer != this.layer) {
            this.layer = layer;
            cursor = 0;
        }
        return current().observer(layer, stage);
    }

    @Override
    public boolean update(int layer, Set<InputSite> stage) {
        if (layer != this.layer) throw new IllegalStateException("layer " + layer + ": update without an observed stage");
        boolean changed = current().update(layer, stage);
        cursor++;
        return changed;
    }

    private LayerMethod current() {
        if (firstStages == 0) stages();
        return cursor < firstStages ? first : second;
    }

    /** Both hold their working data one after the other: the first's is released by its last update. */
    @Override public long workingBytes(int tokensTotal) { return Math.max(first.workingBytes(tokensTotal), second.workingBytes(tokensTotal)); }

    @Override
    public void saveLayer(int layer, Path dir) throws IOException {
        first.saveLayer(layer, Files.createDirectories(dir.resolve("first")));
        second.saveLayer(layer, Files.createDirectories(dir.resolve("second")));
    }

    @Override
    public void loadLayer(int layer, Path dir) throws IOException {
        first.loadLayer(layer, dir.resolve("first"));
        second.loadLayer(layer, dir.resolve("second"));
    }
}
