package dev.calq.imatrix;

import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.datasets.CalibrationSpec;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;

/** The importance matrix the GPTQ and AWQ jobs are handed: gathered alongside their pass, or by llama-imatrix's own pass. */
public final class LlamaImatrix implements ImatrixGatherer {
    @Override public Alongside alongside(LayerMethod method) { return new ImatrixAlongside(method); }

    @Override
    public Observer observer() {
        ImatrixObserver stats = new ImatrixObserver();
        return new Observer() {
            @Override public void observe(int layer, dev.calq.calibration.model.InputSite site, float[] x, int tokens, int dim) {
                stats.observe(layer, site, x, tokens, dim);
            }

            @Override public ImportanceMatrix matrix(int layers, int chunkCount, int chunkSize, java.util.List<String> datasets) {
                return ImatrixCollection.toImportanceMatrix(stats, layers, chunkCount, chunkSize, datasets);
            }
        };
    }

    @Override
    public ImportanceMatrix gather(LoadedModel loaded, CalibrationSpec calibration, PrintStream log) {
        return ImatrixJob.collect(loaded, calibration.source(), calibration.textField(), calibration.seqlen(), calibration.nsamples(), log).matrix();
    }
}
