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
 *   <li>output: the same with the head's input Hessian on the probe's scored positions, and one substitution (the
 *   head alone at {@code gainType}) for its gain.</li>
 *   <li>token_embd: E = sum over the calibration tokens of ||dW[token]||^2 (the embedding's input is one-hot, so its
 *   Hessian is the diagonal of token counts), with one end-to-end substitution for its gain. Tied embeddings take
 *   the head's E, the substitution changing both.</li>
 * </ul>
 * The trial quantizations are the cost: rows of one tensor are quantized independently by every ggml type, so E
 * is estimated from an evenly spaced sample of rows ({@link RowSample}), scaled up to the whole tensor.
 * The model is left as it was.
 */
public final class SensitivityMeasurement {
    private SensitivityMeasurement() {}

    public static SensitivityTable measure(LlamaModel model, HessianObserver hessians, ImportanceMatrix imatrix, List<GgmlType> candidates,
                                           GgmlType gainType, KlProbe probe, long[] tokenCounts, int sampleRows, PrintStream log) {
        long start = System.nanoTime();
        int layers = model.numLayers();
        List<TensorSensitivity> tensors = new ArrayList<>();
        // Hessian errors of every projection and type, the gains come after
        Map<String, float[]> hessianOf = new LinkedHashMap<>();
        Map<String, List<TypeCost>> errors = new LinkedHashMap<>();
        for (int l = 0; l < layers; l++) {
            Map<InputSite, float[]> h = new EnumMap<>(InputSite.class);
            for (Projection p : Projection.values()) {
                String name = LlamaTensorNames.toGguf(p.weightName(l));
                int out = model.outFeatures(p), in = model.inFeatures(p);
                float[] hf = h.computeIfAbsent(p.site(), s -> toFloat(hessians.hessian(layerOf(name), s)));
                hessianOf.put(name, hf);
                errors.put(name, costs(name, model.weight(l, p), out, in, hf, null, imatrix, candidates, false, sampleRows));
            }
            log.printf(Locale.ROOT, "sensitivity: layer %d/%d, %d types per tensor%n", l + 1, layers, errors.get(LlamaTensorNames.toGguf(Projection.Q.weightName(l))).size());
        }
        double trials = (System.nanoTime() - start) / 1e9;

        List<GainPoint> points = new ArrayList<>();
        TreeSet<Integer> gainLayers = gainLayers(layers);
        for (Projection p : Projection.values()) {
            for (int l : gainLayers) {
                String name = LlamaTensorNames.toGguf(p.weightName(l));
                GgmlType type = pick(errors.get(name), gainType).type();
                float[] w = model.weight(l, p);
                int out = model.outFeatures(p), in = model.inFeatures(p);
                float[] q = roundTrip(type, w, out, in, importance(imatrix, name));
                double e = OutputError.absoluteOutputError(w, q, out, in, hessianOf.get(name));
                model.setWeight(l, p, q);
                double kl = probe.kl(model, l);
                model.setWeight(l, p, w);
                GainPoint gp = new GainPoint(name, kindOf(name), l, type, e, kl);
                points.add(gp);
                log.printf(Locale.ROOT, "sensitivity: %s alone at %s: E %.4g, KL %.5f, gain %.4g%n", name, type.name(), e, kl, gp.gain());
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
        tensors.add(0, measureEmbeddings(model, imatrix, candidates, gainType, probe, tokenCounts, tied, sampleRows, points, log));
        if (!tied) tensors.add(measureOutput(model, imatrix, candidates, gainType, probe, sampleRows, points, log));
        double seconds = (System.nanoTime() - start) / 1e9;
        log.printf(Locale.ROOT, "sensitivity: trial quantizations of the projections %.1fs, substitutions and the two large tensors %.1fs%n", trials, seconds - trials);
        return new SensitivityTable(tensors, points, probe.positions(), seconds);
    }

    /** The layers whose substitutions set the gains: first, middle, last. The probe keeps their inputs. */
    public static TreeSet<Integer> gainLayers(int layers) { return new TreeSet<>(List.of(0, layers / 2, layers - 1)); }

    /**
     * Every usable type's cost for one tensor [out x in]: E = sum over sampled rows r of dw_r H dw_r^T (scaled to all
     * rows), with {@code h} the input Hessian, or with {@code rowWeight[r]} ||dw_r||^2 when {@code h} is null.
     * {@code large}: token_embd or output, which sample 16 times the rows (they hold most of a small model's weights)
     * and take the types llama-quantize allows there.
     */
    static List<TypeCost> costs(String name, float[] w, int out, int in, float[] h, double[] rowWeight, ImportanceMatrix imatrix,
                                List<GgmlType> candidates, boolean large, int sampleRows) {
        float[] imp = importance(imatrix, name);
        int minRows = large && sampleRows > 0 ? Math.multiplyExact(sampleRows, 16) : sampleRows;
        RowSample sample = h != null ? RowSample.even(out, minRows) : RowSample.weighted(rowWeight, minRows);
        float[] ws = sample.rows(w, in);
        int n = sample.size();
        double total = h != null ? OutputError.absoluteOutputError(ws, new float[ws.length], n, in, h) : sample.weightedSquares(ws, null, in);
        List<TypeCost> costs = new ArrayList<>();
        for (GgmlType t : large ? usableEndToEnd(candidates, in, imp != null) : usable(candidates, in, imp != null)) {
            float[] q = roundTrip(t, ws, n, in, imp);
            double e = h != null ? OutputError.absoluteOutputError(ws, q, n, in, h) : sample.weightedSquares(ws, q, in);
            costs.add(new TypeCost(t, out * t.rowBytes(in), e * sample.scale(), total > 0 ? e / total : 0, Double.NaN));
        }
        return costs;
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

    private static TensorSensitivity measureOutput(LlamaModel model, ImportanceMatrix imatrix, List<GgmlType> candidates, GgmlType gainType,
                                                   KlProbe probe, int sampleRows, List<GainPoint> points, PrintStream log) {
        Linear head = model.lmHead();
        Tensor original = head.weight();
        float[] w = original.toFloatArray();
        int out = head.outFeatures(), in = head.inFeatures();
        String name = "output.weight";
        float[] h = probe.headHessian();
        List<TypeCost> costs = costs(name, w, out, in, h, null, imatrix, candidates, true, sampleRows);
        TypeCost at = pick(costs, gainType);
        GgmlType type = at.type();
        float[] q = roundTrip(type, w, out, in, importance(imatrix, name));
        head.setWeight(q);
        double kl = probe.kl(model, model.numLayers());
        head.setWeight(original);
        return calibrated(name, "output", out, in, costs, new GainPoint(name, "output", -1, type, at.hessianError(), kl), points, log);
    }

    private static TensorSensitivity measureEmbeddings(LlamaModel model, ImportanceMatrix imatrix, List<GgmlType> candidates, GgmlType gainType,
                                                       KlProbe probe, long[] tokenCounts, boolean tied, int sampleRows, List<GainPoint> points,
                                                       PrintStream log) {
        Tensor original = model.embeddings();
        float[] w = original.toFloatArray();
        int rows = (int) original.dim(0), cols = (int) original.dim(1);
        String name = "token_embd.weight";
        if (tokenCounts.length != rows) throw new IllegalArgumentException("token counts of " + tokenCounts.length + " for " + rows + " embedding rows");
        double[] counts = new double[rows];
        for (int i = 0; i < rows; i++) counts[i] = tokenCounts[i];
        float[] h = tied ? probe.headHessian() : null;
        List<TypeCost> costs = costs(name, w, rows, cols, h, counts, imatrix, candidates, true, sampleRows);
        TypeCost at = pick(costs, gainType);
        GgmlType type = at.type();
        float[] qw = roundTrip(type, w, rows, cols, importance(imatrix, name));
        Tensor q = Tensor.ofFloats(original.name(), qw, rows, cols);
        model.setEmbeddings(q);
        if (tied) model.lmHead().setWeight(q);
        double kl = probe.kl(model);
        model.setEmbeddings(original);
        if (tied) model.lmHead().setWeight(original);
        return calibrated(name, "token_embd", rows, cols, costs, new GainPoint(name, "token_embd", -1, type, at.hessianError(), kl), points, log);
    }

    /**
     * A large tensor's costs with predicted KL = gain x E, the gain from its one substitution (which joins the
     * points) against the same row-sampled estimate of E, so the prediction at the substituted type is the measurement.
     */
    private static TensorSensitivity calibrated(String name, String kind, int rows, int cols, List<TypeCost> costs, GainPoint gp,
                                                List<GainPoint> points, PrintStream log) {
        points.add(gp);
        log.printf(Locale.ROOT, "sensitivity: %s alone at %s: E %.4g, KL %.5f, gain %.4g%n", name, gp.type().name(), gp.hessianError(), gp.measuredKl(), gp.gain());
        List<TypeCost> out = new ArrayList<>();
        for (TypeCost c : costs) out.add(new TypeCost(c.type(), c.bytes(), c.hessianError(), c.relativeError(), gp.gain() * c.hessianError()));
        return new TensorSensitivity(name, kind, -1, rows, cols, gp.gain(), sorted(out));
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
