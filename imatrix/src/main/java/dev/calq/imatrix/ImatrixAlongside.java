package dev.calq.imatrix;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Gathers an importance matrix during another method's calibration run (GPTQ, AWQ): every input site is observed
 * once, in the stage that observes it for the method, so the statistics are those of the activations the method
 * saw. Everything else is the method's own.
 */
public final class ImatrixAlongside implements ImatrixGatherer.Alongside {
    private static final String FILE = "imatrix-layer.bin";
    private final LayerMethod method;
    private final ImatrixObserver imatrix = new ImatrixObserver();

    public ImatrixAlongside(LayerMethod method) { this.method = method; }

    public ImatrixObserver imatrix() { return imatrix; }

    @Override
    public ImportanceMatrix matrix(int layers, int chunkCount, int chunkSize, List<String> datasets) {
        return ImatrixCollection.toImportanceMatrix(imatrix, layers, chunkCount, chunkSize, datasets);
    }

    @Override public List<Set<InputSite>> stages() { return method.stages(); }

    @Override
    public LinearInputObserver observer(int layer, Set<InputSite> stage) {
        LinearInputObserver inner = method.observer(layer, stage);
        return (l, site, x, tokens, dim) -> {
            if (inner != null) inner.observe(l, site, x, tokens, dim);
            if (stage.contains(site)) imatrix.observe(l, site, x, tokens, dim);
        };
    }

    @Override public boolean update(int layer, Set<InputSite> stage) { return method.update(layer, stage); }

    @Override public long workingBytes(int tokensTotal) { return method.workingBytes(tokensTotal); }

    @Override public boolean wantsFullPrecisionInputs() { return method.wantsFullPrecisionInputs(); }

    @Override public dev.calq.calibration.model.PairedInputObserver pairedObserver(int layer, Set<InputSite> stage) {
        return method.pairedObserver(layer, stage);
    }

    @Override public float[] quantizedEmbedding(int[] tokens) { return method.quantizedEmbedding(tokens); }

    @Override
    public void saveLayer(int layer, Path dir) throws IOException {
        method.saveLayer(layer, dir);
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(dir.resolve(FILE))))) {
            for (InputSite site : InputSite.values()) {
                ActivationStats s = imatrix.stats(layer, site);
                out.writeBoolean(s != null);
                if (s == null) continue;
                out.writeInt(s.dim());
                out.writeLong(s.count());
                for (double v : s.sumSq()) out.writeDouble(v);
                for (double v : s.sum()) out.writeDouble(v);
            }
        }
    }

    @Override
    public void loadLayer(int layer, Path dir) throws IOException {
        method.loadLayer(layer, dir);
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(dir.resolve(FILE))))) {
            for (InputSite site : InputSite.values()) {
                if (!in.readBoolean()) continue;
                int dim = in.readInt();
                long count = in.readLong();
                double[] sumSq = new double[dim], sum = new double[dim];
                for (int i = 0; i < dim; i++) sumSq[i] = in.readDouble();
                for (int i = 0; i < dim; i++) sum[i] = in.readDouble();
                imatrix.restore(layer, site, ActivationStats.restore(sumSq, sum, count));
            }
        }
    }
}
