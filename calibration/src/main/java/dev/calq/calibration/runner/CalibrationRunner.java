package dev.calq.calibration.runner;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LayerwiseModel;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.formats.CalqException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runs a model over calibration samples one decoder layer at a time (true sequential): all samples go through a
 * layer while the method observes the inputs of its projections, the method updates the layer, and the layer's
 * outputs under the updated weights become the next layer's inputs. Only one layer is ever materialised.
 */
public final class CalibrationRunner {
    /** Time spent in one layer: forward passes (with observers) and the method's updates. */
    public record LayerTiming(int layer, int passes, double forwardSeconds, double updateSeconds) {}

    public record Result(List<LayerTiming> timings, long tokens, double seconds, boolean spilled, int resumedFromLayer) {}

    private final LayerwiseModel model;
    private final List<int[]> samples;
    private final LayerMethod method;
    private final RunnerOptions options;
    private FinalStates finalStates;

    /** Receives each sample's hidden state after the last layer (before the final norm). */
    @FunctionalInterface
    public interface FinalStates { void accept(int sample, float[] hidden, int tokens); }

    public CalibrationRunner(LayerwiseModel model, List<int[]> samples, LayerMethod method, RunnerOptions options) {
        if (samples.isEmpty()) throw new CalqException("no calibration samples");
        this.model = model;
        this.samples = samples;
        this.method = method;
        this.options = options;
    }

    public CalibrationRunner onFinalStates(FinalStates consumer) {
        this.finalStates = consumer;
        return this;
    }

    /** The estimate the run is checked against before it starts. */
    public MemoryEstimate estimate() {
        int maxTokens = samples.stream().mapToInt(s -> s.length).max().orElse(0);
        long tokens = samples.stream().mapToLong(s -> s.length).sum();
        long hidden = 2L * samples.size() * maxTokens * model.hiddenSize() * 4;
        long layer = 0;
        for (int l = 0; l < model.numLayers(); l++) layer = Math.max(layer, model.layerWeightBytes(l));
        long fixed = layer + model.activationBytes(maxTokens) + method.workingBytes((int) Math.min(tokens, Integer.MAX_VALUE))
                + 2L * maxTokens * model.hiddenSize() * 4;
        return new MemoryEstimate(hidden, fixed, options.memoryBudget());
    }

    public Result run() {
        MemoryEstimate est = estimate();
        if (!est.fitsWithSpill())
            throw new CalqException(String.format(Locale.ROOT,
                    "the run needs about %s besides the hidden states (one layer's weights, activations, %s), more than the memory budget %s; "
                            + "use fewer or shorter samples, or raise --memory / the JVM heap (CALQ_JAVA_OPTS=-Xmx...)",
                    MemoryEstimate.human(est.fixedBytes()), "the method's statistics", MemoryEstimate.human(est.budget())));
        boolean spill = !est.hiddenFitsInMemory();
        options.log().printf(Locale.ROOT, "memory: hidden states %s, one layer's weights, activations and the method's statistics %s; budget %s (heap %s)%n",
                MemoryEstimate.human(est.hiddenBytes()), MemoryEstimate.human(est.fixedBytes()), MemoryEstimate.human(est.budget()),
                MemoryEstimate.human(Runtime.getRuntime().maxMemory()));
        int maxTokens = samples.stream().mapToInt(s -> s.length).max().orElseThrow();
        int hiddenSize = model.hiddenSize();
        long perSample = (long) maxTokens * hiddenSize;
        if (perSample > Integer.MAX_VALUE - 8) throw new CalqException("a sample of " + maxTokens + " tokens is too long for one array");
        if (spill) options.log().printf(Locale.ROOT, "hidden states (%s) exceed the memory budget: spilling to a scratch file%n",
                MemoryEstimate.human(est.hiddenBytes()));

        long startNanos = System.nanoTime();
        Checkpoint checkpoint = options.workDir() == null ? null : new Checkpoint(options.workDir(), options.runKey());
        try (HiddenStore a = newStore(spill, perSample, "hidden-a.scratch");
             HiddenStore b = newStore(spill, perSample, "hidden-b.scratch")) {
            HiddenStore in = a, out = b;
            int first = 0;
            int resumed = -1;
            if (options.resume() && checkpoint != null && checkpoint.lastLayer() >= 0) {
                resumed = checkpoint.lastLayer();
                checkpoint.restore(in, method, resumed);
                first = resumed + 1;
                options.log().printf(Locale.ROOT, "resuming after layer %d of %d from %s%n", resumed + 1, model.numLayers(), options.workDir());
            } else if (options.resume()) {
                options.log().printf(Locale.ROOT, "resume: no finished layer checkpointed in %s; starting from the first layer%n", options.workDir());
            } else {
                if (checkpoint != null) checkpoint.reset();
                for (int s = 0; s < samples.size(); s++) in.write(s, padded(model.embed(samples.get(s)), perSample));
            }

            long tokensPerPass = samples.stream().mapToLong(s -> s.length).sum();
            Progress progress = new Progress(options.log(), model.numLayers(), tokensPerPass);
            List<LayerTiming> timings = new ArrayList<>();
            float[] x = new float[(int) perSample];
            float[] y = new float[(int) perSample];
            for (int layer = first; layer < model.numLayers(); layer++) {
                List<Set<InputSite>> stages = method.stages();
                int passes = stages.size();
                double forward = 0, update = 0;
                boolean outputsValid = false;
                long layerStart = System.nanoTime();
                for (int st = 0; st < stages.size(); st++) {
                    LinearInputObserver obs = method.observer(layer, stages.get(st));
                    long t0 = System.nanoTime();
                    // Every stage but the last needs the layer only up to the last site it observes; its outputs
                    // are recomputed after the last stage anyway (true-sequential GPTQ: about 2 layer passes, not 5).
                    InputSite stopAt = st < stages.size() - 1 ? lastSite(stages.get(st)) : null;
                    pass(layer, in, out, x, y, obs, stopAt, progress, stageLabel(stages.get(st)), st + 1, passes + 1, first);
                    forward += (System.nanoTime() - t0) / 1e9;
                    long t1 = System.nanoTime();
                    boolean changed = method.update(layer, stages.get(st));
                    update += (System.nanoTime() - t1) / 1e9;
                    outputsValid = !changed;
                }
                if (!outputsValid) {
                    long t0 = System.nanoTime();
                    pass(layer, in, out, x, y, null, null, progress, "outputs", passes + 1, passes + 1, first);
                    forward += (System.nanoTime() - t0) / 1e9;
                    passes++;
                }
                timings.add(new LayerTiming(layer, passes, forward, update));
                if (checkpoint != null) checkpoint.save(out, method, layer);
                HiddenStore t = in; in = out; out = t;
                progress.layerDone(layer, (System.nanoTime() - layerStart) / 1e9, layer + 1 - first, model.numLayers() - first);
            }
            if (finalStates != null) {
                for (int s = 0; s < samples.size(); s++) {
                    in.read(s, x);
                    finalStates.accept(s, java.util.Arrays.copyOf(x, samples.get(s).length * hiddenSize), samples.get(s).length);
                }
            }
            return new Result(timings, tokensPerPass, (System.nanoTime() - startNanos) / 1e9, spill, resumed);
        } catch (IOException e) {
            // Name the folder the user chose (--work-dir, or OUTPUT.calq-work), not a scratch file inside it.
            String where = options.workDir() != null ? options.workDir().toString() : "the scratch file";
            throw new CalqException(where + ": calibration scratch/checkpoint I/O failed (disk full?): " + e.getMessage(), e);
        }
    }

    /** What a stage observes, for the progress line: its sites, or "all sites". */
    private static String stageLabel(Set<InputSite> stage) {
        if (stage.size() == InputSite.values().length) return "all sites";
        return String.join("+", stage.stream().map(s -> s.name().toLowerCase(Locale.ROOT)).toList());
    }

    /** The site of {@code stage} latest in the layer's data flow (sites are declared in that order). */
    private static InputSite lastSite(Set<InputSite> stage) {
        InputSite last = null;
        for (InputSite s : stage) if (last == null || s.ordinal() > last.ordinal()) last = s;
        return last;
    }

    /** One pass over the samples; with {@code stopAt} only as far as that site is observed, writing no outputs. */
    private void pass(int layer, HiddenStore in, HiddenStore out, float[] x, float[] y, LinearInputObserver obs, InputSite stopAt,
                      Progress progress, String stage, int pass, int passes, int firstLayer) {
        int n = samples.size();
        int layersLeft = model.numLayers() - firstLayer;
        for (int s = 0; s < n; s++) {
            int tokens = samples.get(s).length;
            in.read(s, x);
            if (stopAt != null) {
                model.observeLayer(layer, x, tokens, y, obs, stopAt);
            } else {
                model.runLayer(layer, x, tokens, y, obs);
                out.write(s, y);
            }
            double layersDone = (layer - firstLayer) + ((pass - 1) + (s + 1.0) / n) / passes;
            progress.advance(layer, stage, pass, passes, s + 1, n, tokens, layersDone, layersLeft);
        }
    }

    private HiddenStore newStore(boolean spill, long perSample, String name) throws IOException {
        if (!spill) return HiddenStore.onHeap(samples.size(), (int) perSample);
        java.nio.file.Path dir = options.workDir() != null ? options.workDir() : java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        return HiddenStore.mapped(samples.size(), perSample, dir.resolve(name + "-" + ProcessHandle.current().pid()));
    }

    private static float[] padded(float[] values, long length) {
        if (values.length == length) return values;
        float[] p = new float[(int) length];
        System.arraycopy(values, 0, p, 0, values.length);
        return p;
    }

    /** Formats the per-layer time table printed at the end of a run. */
    public static String timingTable(Result r) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-6s %6s %10s %10s %10s%n", "layer", "passes", "forward s", "update s", "total s"));
        double f = 0, u = 0;
        for (LayerTiming t : r.timings()) {
            sb.append(String.format(Locale.ROOT, "%-6d %6d %10.2f %10.2f %10.2f%n", t.layer(), t.passes(), t.forwardSeconds(), t.updateSeconds(),
                    t.forwardSeconds() + t.updateSeconds()));
            f += t.forwardSeconds();
            u += t.updateSeconds();
        }
        sb.append(String.format(Locale.ROOT, "%-6s %6s %10.2f %10.2f %10.2f%n", "all", "", f, u, f + u));
        return sb.toString();
    }
}
