package dev.calq.calibration.runner;

import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.datasets.CalibrationSpec;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;
import java.util.List;

/**
 * llama.cpp's importance matrix as the method jobs see it: the imatrix module implements it and the command hands it
 * to a GPTQ or AWQ job, so that gptq, awq and imatrix stay side by side with none importing another.
 */
public interface ImatrixGatherer {
    /** {@code method} with the statistics of every input site gathered in the stage that observes it for the method. */
    Alongside alongside(LayerMethod method);

    /** llama-imatrix's own pass on the open model: consecutive chunks of {@code seqlen} tokens, BOS first, at most {@code nsamples}. */
    ImportanceMatrix gather(LoadedModel loaded, CalibrationSpec calibration, PrintStream log);

    /** An observer gathering the statistics of every input site it is shown, for a pass that is no layer method's (the sensitivity pass). */
    Observer observer();

    /** The statistics of the sites an {@link #observer()} was shown. */
    interface Observer extends LinearInputObserver {
        /** The statistics so far under llama.cpp's tensor names. */
        ImportanceMatrix matrix(int layers, int chunkCount, int chunkSize, List<String> datasets);
    }

    /** A method with an importance matrix gathered on the way. */
    interface Alongside extends LayerMethod {
        /** The statistics so far under llama.cpp's tensor names. */
        ImportanceMatrix matrix(int layers, int chunkCount, int chunkSize, List<String> datasets);
    }
}
