package dev.calq.calibration.runner;

import dev.calq.calibration.model.LayerwiseModel;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * One layer-by-layer calibration pass of a quantize job: the runner with the job's memory and checkpoint options, an
 * importance matrix gathered on the way when asked for (saved to --imatrix-output), then the per-layer time table and
 * the throughput line.
 */
public final class CalibrationPass {
    private CalibrationPass() {}

    /**
     * Runs {@code method} over {@code samples}; {@code key} identifies the method and its options in the resume key.
     * Returns the importance matrix of the pass's activations when {@code imatrix} is given (null otherwise).
     */
    public static ImportanceMatrix run(LayerwiseModel model, List<int[]> samples, LayerMethod method, String key, ImatrixGatherer imatrix,
                                       PassOptions opts, PrintStream log) {
        ImatrixGatherer.Alongside gathered = imatrix != null ? imatrix.alongside(method) : null;
        RunnerOptions runner = new RunnerOptions(opts.budget(), opts.checkpointDir(), opts.resume(),
                opts.model().toAbsolutePath() + "|" + opts.calibration().describe() + "|" + key + "|imatrix=" + (gathered != null), log);
        CalibrationRunner.Result r = new CalibrationRunner(model, samples, gathered != null ? gathered : method, runner).run();
        ImportanceMatrix im = null;
        if (gathered != null) {
            im = gathered.matrix(model.numLayers(), samples.size(), samples.getFirst().length, List.of(opts.calibration().source()));
            if (opts.imatrixOutput() != null) {
                im.write(opts.imatrixOutput(), false, true);
                log.println("wrote the importance matrix of this run's activations to " + opts.imatrixOutput());
            }
        }
        log.print(CalibrationRunner.timingTable(r));
        long layerPasses = r.timings().stream().mapToLong(CalibrationRunner.LayerTiming::passes).sum();
        // The progress lines' figure: calibration tokens through the whole model per second (every pass and update is time).
        int layersRun = r.timings().size();
        log.printf(Locale.ROOT, "calibration: %,d tokens through %d layers (%d passes, early-stopping ones included), %.1fs, %,.0f tok/s%n",
                r.tokens(), layersRun, layerPasses, r.seconds(),
                r.tokens() * (double) layersRun / Math.max(1, model.numLayers()) / Math.max(r.seconds(), 1e-9));
        return im;
    }
}
