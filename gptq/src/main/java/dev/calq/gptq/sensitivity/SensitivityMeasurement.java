package dev.calq.gptq.sensitivity;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.Linear;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.LlamaTensorNames;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.tensor.Tensor;
import dev.calq.gptq.HessianObserver;
import dev.calq.gptq.OutputError;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Measures what every candidate ggml type costs every quantizable tensor, for imatrix quantization (each type's own
 * codec with the importance matrix, as the GGUF writer will run it):
 *
 * <ul>
 *   <li>decoder projections: the Hessian-weighted output error E = tr(dW H dW^T), H = X^T X of the layer input over
 *   the calibration pass, dW the codec's error. The KL divergence is taken as proportional to E, with a gain per
 *   projection kind measured by quantizing one tensor alone (to {@code gainType}) in the first, middle and last layer
 *   and comparing the whole model's KL divergence on the probe with E; layers between are interpolated geometrically.</li>
 *   <li>output and token_embd (no layer input Hessian is gathered for them; they are two tensors in any model): every
 *   candidate type measured end to end on the probe.</li>
 * </ul>
 * The model is left as it was.
 */
public final class SensitivityMeasurement {
    private SensitivityMeasurement() {}

    public static SensitivityTable measure(LlamaModel model, HessianObserver hessians, ImportanceMatrix imatrix, List<GgmlType> candidates,
                                           GgmlType gainType, KlProbe probe, PrintStream log) {
        long start = System.nanoTime();
        int layers = model.numLayers();
        List<TensorSensitivity> tensors = new ArrayList<>();
        // Hessian errors of every projection and type, the gains come after
        Map<String, float[]> weights = new LinkedHashMap<>();
        Map<String, List<TypeCost>> errors = new LinkedHashMap<>();
        for (int l = 0; l < layers; l++) {
            Map<InputSite, float[]> h = new EnumMap<>(InputSite.class);
            for (Projection p : Projection.values()) {
                String name = LlamaTensorNames.toGguf(p.weightName(l));
                int out = model.outFeatures(p), in = model.inFeatures(p);
                float[] hf = h.computeIfAbsent(p.site(), s -> toFloat(hessians.hessian(layerOf(name), s)));
                float[] w = model.weight(l, p);
                double total = OutputError.absoluteOutputError(w, new float[w.length], out, in, hf);
                List<TypeCost> costs = new ArrayList<>();
                for (GgmlType t : usable(candidates, in, importance(imatrix, name) != null)) {
                    float[] q = roundTrip(t, w, out, in, importance(imatrix, name));
                    double e = OutputError.absoluteOutputError(w, q, out, in, hf);
                    costs.add(new TypeCost(t, out * t.rowBytes(in), e, total > 0 ? e / total : 0, Double.NaN));
                }
                weights.put(name, w);
                errors.put(name, costs);
            }
            log.printf(Locale.ROOT, "sensitivity: layer %d/%d, %d types per tensor%n", l + 1, layers, errors.get(LlamaTensorNames.toGguf(Projection.Q.weightName(l))).size());
        }

        List<GainPoint> points = new ArrayList<>();
        TreeSet<Integer> gainLayers = new TreeSet<>(List.of(0, layers / 2, layers - 1));
        for (Projection p : Projection.values()) {
            for (int l : gainLayers) {
                String name = LlamaTensorNames.toGguf(p.weightName(l));
                TypeCost c = pick(errors.get(name), gainType);
                float[] w = weights.get(name);
                int out = model.outFeatures(p), in = model.inFeatures(p);
                model.setWeight(l, p, roundTrip(c.type(), w, out, in, importance(imatrix, name)));
                double kl = probe.kl(model);
                model.setWeight(l, p, w);
                GainPoint gp = new GainPoint(name, kindOf(name), l, c.type(), c.hessianError(), kl);
                points.add(gp);
                log.printf(Locale.ROOT, "sensitivity: %s alone at %s: E %.4g, KL %.5f, gain %.4g%n", name, c.type().name(), c.hessianError(), kl, gp.gain());
            }
        }
        for (int l = 0; l < layers; l++) {
            for (Projection p : Projection.values()) {
                String name = LlamaTensorNames.toGguf(p.weightName(l));
                tensors.add(new TensorSensitivity(name, kindOf(name), l, model.outFeatures(p), model.inFeatures(p), Double.NaN, sorted(errors.get(name))));
            }
        }
        tensors = withGains(tensors, points);

        boolean tied = model.lmHead().weight() == model.embeddings();
        tensors.add(0, measureEmbeddings(model, imatrix, candidates, probe, tied, log));
        if (!tied) tensors.add(measureOutput(model, imatrix, candidates, probe, log));
        return new SensitivityTable(tensors, points, probe.positions(), (System.nanoTime() - start) / 1e9);
    }

    /**
     * The decoder tensors' gains and predicted KL from the substitutions of their kind (interpolated over layers);
     * tensors measured end to end (layer -1) are kept as they are. A saved table is re-predicted with this on load.
     */
    public static List<TensorSensitivity> withGains(List<TensorSensitivity> tensors, List<GainPoint> points) {
        List<TensorSensitivity> out = new ArrayList<>();
        for (TensorSensitivity t : tensors) {
            if (t.layer() < 0) {
                out.add(t);
                continue;
            }
            List<GainPoint> kind = points.stream().filter(g -> g.kind().equals(t.kind())).sorted(Comparator.comparingInt(GainPoint::layer)).toList();
            if (kind.isEmpty()) throw new CalqException(t.name() + ": no substitution of kind " + t.kind() + " was measured");
            int[] at = kind.stream().mapToInt(GainPoint::layer).toArray();
            double[] g = kind.stream().mapToDouble(GainPoint::gain).toArray();
            double gain = interpolate(at, g, t.layer());
            List<TypeCost> costs = new ArrayList<>();
            for (TypeCost c : t.costs()) costs.add(new TypeCost(c.type(), c.bytes(), c.hessianError(), c.relativeError(), gain * c.hessianError()));
            out.add(new TensorSensitivity(t.name(), t.kind(), t.layer(), t.rows(), t.cols(), gain, costs));
        }
        return out;
    }

    private static TensorSensitivity measureOutput(LlamaModel model, ImportanceMatrix imatrix, List<GgmlType> candidates, KlProbe probe, PrintStream log) {
        Linear head = model.lmHead();
        Tensor original = head.weight();
        float[] w = original.toFloatArray();
        int out = head.outFeatures(), in = head.inFeatures();
        String name = "output.weight";
        float[] imp = importance(imatrix, name);
        List<TypeCost> costs = new ArrayList<>();
        for (GgmlType t : usableEndToEnd(candidates, in, imp != null)) {
            head.setWeight(roundTrip(t, w, out, in, imp));
            double kl = probe.kl(model);
            costs.add(new TypeCost(t, out * t.rowBytes(in), Double.NaN, Double.NaN, kl));
            log.printf(Locale.ROOT, "sensitivity: %s at %s: KL %.5f%n", name, t.name(), kl);
        }
        head.setWeight(original);
        return new TensorSensitivity(name, "output", -1, out, in, Double.NaN, sorted(costs));
    }

    private static TensorSensitivity measureEmbeddings(LlamaModel model, ImportanceMatrix imatrix, List<GgmlType> candidates, KlProbe probe,
                                                       boolean tied, PrintStream log) {
        Tensor original = model.embeddings();
        float[] w = original.toFloatArray();
        int rows = (int) original.dim(0), cols = (int) original.dim(1);
        String name = "token_embd.weight";
        float[] imp = importance(imatrix, name);
        List<TypeCost> costs = new ArrayList<>();
        for (GgmlType t : usableEndToEnd(candidates, cols, imp != null)) {
            Tensor q = Tensor.ofFloats(original.name(), roundTrip(t, w, rows, cols, imp), rows, cols);
            model.setEmbeddings(q);
            if (tied) model.lmHead().setWeight(q);
            double kl = probe.kl(model);
            costs.add(new TypeCost(t, rows * t.rowBytes(cols), Double.NaN, Double.NaN, kl));
            log.printf(Locale.ROOT, "sensitivity: %s at %s: KL %.5f%n", name, t.name(), kl);
        }
        model.setEmbeddings(original);
        if (tied) model.lmHead().setWeight(original);
        return new TensorSensitivity(name, "token_embd", -1, rows, cols, Double.NaN, sorted(costs));
    }

    /** The candidates a projection can take: a codec, whole blocks per row, and importance where the type requires it. */
    static List<GgmlType> usable(List<GgmlType> candidates, int cols, boolean hasImportance) {
        List<GgmlType> out = new ArrayList<>();
        for (GgmlType t : candidates) {
            if (!Quantizers.supports(t) || cols % t.blockSize() != 0) continue;
            if (!hasImportance && (Quantizers.refusedWithoutImportance(t) || Quantizers.needsImportance(t))) continue;
            out.add(t);
        }
        if (out.isEmpty()) throw new CalqException("no candidate type fits rows of " + cols + " columns");
        return out;
    }

    /** token_embd and output: llama-quantize refuses only the types whose quantizer cannot run without importance. */
    static List<GgmlType> usableEndToEnd(List<GgmlType> candidates, int cols, boolean hasImportance) {
        List<GgmlType> out = new ArrayList<>();
        for (GgmlType t : candidates) {
            if (!Quantizers.supports(t) || cols % t.blockSize() != 0) continue;
            if (!hasImportance && Quantizers.needsImportance(t)) continue;
            out.add(t);
        }
        if (out.isEmpty()) throw new CalqException("no candidate type fits rows of " + cols + " columns");
        return out;
    }

    /** Quantize and dequantize with the type's codec. */
    static float[] roundTrip(GgmlType t, float[] w, int rows, int cols, float[] importance) {
        return Quantizers.dequantize(t, Quantizers.quantize(t, w, rows, cols, importance), rows, cols);
    }

    /**
     * Interpolation of the measured gains between the measured layers, constant beyond them: geometric (linear in
     * log gain, as gains of one kind differ by orders of magnitude across depth) when both ends are positive.
     */
    static double interpolate(int[] at, double[] values, int layer) {
        if (layer <= at[0]) return values[0];
        for (int i = 1; i < at.length; i++) {
            if (layer == at[i]) return values[i];
            if (layer < at[i]) {
                double f = (double) (layer - at[i - 1]) / (at[i] - at[i - 1]);
                double a = values[i - 1], b = values[i];
                return a > 0 && b > 0 ? Math.exp(Math.log(a) + f * (Math.log(b) - Math.log(a))) : a + f * (b - a);
            }
        }
        return values[at.length - 1];
    }

    /** "blk.3.attn_q.weight" -> "attn_q"; "output.weight" -> "output". */
    public static String kindOf(String ggufName) {
        String s = ggufName.endsWith(".weight") ? ggufName.substring(0, ggufName.length() - 7) : ggufName;
        if (s.startsWith("blk.")) s = s.substring(s.indexOf('.', 4) + 1);
        return s;
    }

    private static int layerOf(String ggufName) { return Integer.parseInt(ggufName.substring(4, ggufName.indexOf('.', 4))); }

    private static TypeCost pick(List<TypeCost> costs, GgmlType want) {
        for (TypeCost c : costs) if (c.type() == want) return c;
        return costs.stream().min(Comparator.comparingLong(TypeCost::bytes)).orElseThrow(); // the smallest usable type
    }

    private static List<TypeCost> sorted(List<TypeCost> costs) {
        List<TypeCost> s = new ArrayList<>(costs);
        s.sort(Comparator.comparingLong(TypeCost::bytes).thenComparing(c -> c.type().name()));
        return s;
    }

    private static float[] importance(ImportanceMatrix imatrix, String name) { return imatrix == null ? null : imatrix.importance(name); }

    private static float[] toFloat(double[] h) {
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) f[i] = (float) h[i];
        return f;
    }
}
