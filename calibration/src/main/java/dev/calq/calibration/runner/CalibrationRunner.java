package dev.calq.calibration.runner;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LayerwiseModel;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.PairedInputObserver;
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
        boolean full = method.wantsFullPrecisionInputs();
        // With the full-precision stream: its two stores, its pass buffers and one sample's copies of the site inputs.
        long hidden = (full ? 4L : 2L) * samples.size() * maxTokens * model.hiddenSize() * 4;
        long layer = 0;
        for (int l = 0; l < model.numLayers(); l++) layer = Math.max(layer, model.layerWeightBytes(l));
        long fixed = layer + model.activationBytes(maxTokens) + method.workingBytes((int) Math.min(tokens, Integer.MAX_VALUE))
                + 2L * maxTokens * model.hiddenSize() * 4
                + (full ? 2L * maxTokens * model.hiddenSize() * 4 + siteFloats() * maxTokens * 4 : 0);
        return new MemoryEstimate(hidden, fixed, options.memoryBudget());
    }

    /** Floats of one token's inputs at all four sites. */
    private long siteFloats() {
        long n = 0;
        for (InputSite s : InputSite.values()) n += model.inFeatures(s.projections().getFirst());
        return n;
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
        boolean full = method.wantsFullPrecisionInputs();
        try (HiddenStore a = newStore(spill, perSample, "hidden-a.scratch");
             HiddenStore b = newStore(spill, perSample, "hidden-b.scratch");
             HiddenStore fa = full ? newStore(spill, perSample, "hidden-fp-a.scratch") : null;
             HiddenStore fb = full ? newStore(spill, perSample, "hidden-fp-b.scratch") : null) {
            HiddenStore in = a, out = b, fullIn = fa, fullOut = fb;
            int first = 0;
            int resumed = -1;
            if (options.resume() && checkpoint != null && checkpoint.lastLayer() >= 0) {
                resumed = checkpoint.lastLayer();
                checkpoint.restore(in, fullIn, method, resumed);
                first = resumed + 1;
                options.log().printf(Locale.ROOT, "resuming after layer %d of %d from %s%n", resumed + 1, model.numLayers(), options.workDir());
            } else {
                // --resume with nothing checkpointed (killed inside the first layer) is a fresh start from the embeddings
                if (options.resume())
                    options.log().printf(Locale.ROOT, "resume: no finished layer checkpointed in %s; starting from the first layer%n", options.workDir());
                if (checkpoint != null) checkpoint.reset();
                for (int s = 0; s < samples.size(); s++) {
                    float[] e = model.embed(samples.get(s));
                    float[] q = method.quantizedEmbedding(samples.get(s));
                    in.write(s, padded(q != null ? q : e, perSample));
                    if (full) fullIn.write(s, padded(e, perSample));
                }
            }

            long tokensPerPass = samples.stream().mapToLong(s -> s.length).sum();
            Progress progress = new Progress(options.log(), model.numLayers(), tokensPerPass);
            List<LayerTiming> timings = new ArrayList<>();
            float[] x = new float[(int) perSample];
            float[] y = new float[(int) perSample];
            FullStream fs = full ? new FullStream(new float[(int) perSample], new float[(int) perSample], new java.util.EnumMap<>(InputSite.class)) : null;
            for (int layer = first; layer < model.numLayers(); layer++) {
                List<Set<InputSite>> stages = method.stages();
                int passes = stages.size();
                double forward = 0, update = 0;
                boolean outputsValid = false;
                long layerStart = System.nanoTime();
                // The layer's weights before the method's first update: what the full-precision stream runs through.
                LayerwiseModel.WeightSnapshot original = full ? model.snapshotWeights(layer) : null;
                for (int st = 0; st < stages.size(); st++) {
                    LinearInputObserver obs = method.observer(layer, stages.get(st));
                    long t0 = System.nanoTime();
                    // Every stage but the last needs the layer only up to the last site it observes; its outputs
                    // are recomputed after the last stage anyway (true-sequential GPTQ: about 2 layer passes, not 5).
                    InputSite stopAt = st < stages.size() - 1 ? lastSite(stages.get(st)) : null;
                    if (full) {
                        // The first stage runs before any update, so the current weights are the original ones and
                        // the full-precision stream's whole layer (its next input) is computed there.
                        fs.begin(fullIn, fullOut, st == 0, original, model.snapshotWeights(layer), stages.get(st),
                                method.pairedObserver(layer, stages.get(st)));
                    }
                    pass(layer, in, out, x, y, obs, stopAt, progress, stageLabel(stages.get(st)), st + 1, passes + 1, first, full ? fs : null);
                    forward += (System.nanoTime() - t0) / 1e9;
                    long t1 = System.nanoTime();
                    boolean changed = method.update(layer, stages.get(st));
                    update += (System.nanoTime() - t1) / 1e9;
                    outputsValid = !changed;
                }
                if (!outputsValid) {
                    long t0 = System.nanoTime();
                    pass(layer, in, out, x, y, null, null, progress, "outputs", passes + 1, passes + 1, first, null);
                    forward += (System.nanoTime() - t0) / 1e9;
                    passes++;
                }
                timings.add(new LayerTiming(layer, passes, forward, update));
                if (checkpoint != null) checkpoint.save(out, fullOut, method, layer);
                HiddenStore t = in; in = out; out = t;
                t = fullIn; fullIn = fullOut; fullOut = t;
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

    /**
     * The full-precision stream's part of one stage pass: per sample, the layer with its original weights run on the
     * full-precision hidden state (the whole layer in the first stage, writing the stream's next input; else only up
     * to the stage's last site, the original weights put in for it and the current ones put back), its inputs at the
     * stage's sites copied, and then handed with the quantized model's inputs to the paired observer.
     */
    private final class FullStream {
        private final float[] x, y;
        private final java.util.Map<InputSite, float[]> captured;
        private HiddenStore in, out;
        private boolean whole;
        private LayerwiseModel.WeightSnapshot original, current;
        private Set<InputSite> stage;
        private PairedInputObserver paired;

        FullStream(float[] x, float[] y, java.util.Map<InputSite, float[]> captured) {
            this.x = x;
            this.y = y;
            this.captured = captured;
        }

        void begin(HiddenStore in, HiddenStore out, boolean whole, LayerwiseModel.WeightSnapshot original,
                   LayerwiseModel.WeightSnapshot current, Set<InputSite> stage, PairedInputObserver paired) {
            this.in = in;
            this.out = out;
            this.whole = whole;
            this.original = original;
            this.current = current;
            this.stage = stage;
            this.paired = paired;
        }

        /** Runs the sample through the full-precision layer; returns the quantized pass's observer with the pairing added. */
        LinearInputObserver run(int layer, int sample, int tokens, LinearInputObserver obs) {
            if (!whole && paired == null) return obs;
            in.read(sample, x);
            LinearInputObserver capture = paired == null ? null : (l, site, v, t, d) -> {
                if (!stage.contains(site)) return;
                float[] buf = captured.get(site);
                if (buf == null || buf.length < t * d) captured.put(site, buf = new float[t * d]);
                System.arraycopy(v, 0, buf, 0, t * d);
            };
            if (whole) {
                model.runLayer(layer, x, tokens, y, capture);
                out.write(sample, y);
            } else {
                model.restoreWeights(layer, original);
                try {
                    model.observeLayer(layer, x, tokens, y, capture, lastSite(stage));
                } finally {
                    model.restoreWeights(layer, current);
                }
            }
            if (paired == null) return obs;
            return (l, site, v, t, d) -> {
                if (obs != null) obs.observe(l, site, v, t, d);
                if (stage.contains(site)) paired.observe(l, site, captured.get(site), v, t, d);
            };
        }
    }

    /** One pass over the samples; with {@code stopAt} only as far as that site is observed, writing no outputs. */
    private void pass(int layer, HiddenStore in, HiddenStore out, float[] x, float[] y, LinearInputObserver obs0, InputSite stopAt,
                      Progress progress, String stage, int pass, int passes, int firstLayer, FullStream full) {
        int n = samples.size();
        int layersLeft = model.numLayers() - firstLayer;
        for (int s = 0; s < n; s++) {
            int tokens = samples.get(s).length;
            LinearInputObserver obs = full == null ? obs0 : full.run(layer, s, tokens, obs0);
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
        return HiddenStore.scratch(samples.size(), perSample, dir, name);
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
