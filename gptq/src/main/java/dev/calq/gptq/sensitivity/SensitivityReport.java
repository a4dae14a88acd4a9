package dev.calq.gptq.sensitivity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.quant.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The sensitivity report, written to a folder: {@code sensitivity.csv} and {@code sensitivity.json} (every tensor x
 * type: bytes, Hessian error, relative error, predicted KL, plus the substitutions that set the gains),
 * {@code heatmap.png} (layer x projection, predicted KL at Q4_K on a log scale) and {@code size-kl.png} (predicted KL
 * against file size: llama-quantize's mixes as points, the size-target mixes from 2 to 6 bits per weight as a curve).
 * The two pictures are drawn by the {@link Plots} the command hands in (the chart library is the command line's).
 */
public final class SensitivityReport {
    /** Draws the report's pictures into its folder. */
    public interface Plots {
        /** Writes {@code heatmap.png} (from {@code table}) and {@code size-kl.png} (the mixes as points, the curve as a line) into {@code dir}. */
        void draw(Path dir, SensitivityTable table, List<Point> mixes, List<Point> curve) throws IOException;
    }

    /** The standard mixes placed on the size-vs-KL plot. */
    static final List<QuantMix> MIXES = List.of(QuantMix.IQ2_XXS, QuantMix.IQ2_XS, QuantMix.IQ2_S, QuantMix.Q2_K, QuantMix.IQ3_XXS,
            QuantMix.Q3_K_S, QuantMix.Q3_K_M, QuantMix.Q3_K_L, QuantMix.IQ4_XS, QuantMix.Q4_K_S, QuantMix.Q4_K_M, QuantMix.Q5_K_S,
            QuantMix.Q5_K_M, QuantMix.Q6_K);

    /** One point of the size-vs-KL plot. */
    public record Point(String label, long fileBytes, double bitsPerWeight, double predictedKl) {}

    private SensitivityReport() {}

    /** Writes the report folder {@code dir} (atomically) for a GGUF file of {@code model} at {@code output}. */
    public static void write(Path dir, Path model, Path output, SensitivityTable table, boolean overwrite, Plots plots) {
        AtomicOutput.checkTarget(dir, overwrite, model);
        Path tmp = AtomicOutput.tempSibling(dir);
        try {
            Files.createDirectories(tmp);
            Files.writeString(tmp.resolve("sensitivity.csv"), csv(table));
            List<Point> mixes = mixPoints(model, output, table);
            List<Point> curve = targetCurve(model, output, table);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("probePositions", table.probePositions());
            json.put("seconds", table.seconds());
            json.put("tensors", table.tensors());
            json.put("gainPoints", table.gainPoints());
            json.put("standardMixes", mixes);
            json.put("targetCurve", curve);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.resolve("sensitivity.json").toFile(), json);
            plots.draw(tmp, table, mixes, curve);
        } catch (IOException e) {
            AtomicOutput.discard(tmp);
            throw new CalqException(dir + ": cannot write the report: " + e.getMessage());
        }
        AtomicOutput.commit(tmp, dir, overwrite);
    }

    /** The line a command prints once {@link #write} is done. */
    public static String writtenLine(Path dir) {
        return "wrote the sensitivity report to " + dir + " (sensitivity.csv, sensitivity.json, heatmap.png, size-kl.png)";
    }

    /** Reads the table back from a report's sensitivity.json (or the report folder), to choose more targets without a pass. */
    public static SensitivityTable read(Path jsonOrDir) {
        Path json = Files.isDirectory(jsonOrDir) ? jsonOrDir.resolve("sensitivity.json") : jsonOrDir;
        try {
            ObjectMapper m = new ObjectMapper();
            com.fasterxml.jackson.databind.JsonNode root = m.readTree(json.toFile());
            if (root == null || !root.has("tensors") || !root.has("gainPoints"))
                throw new CalqException(json + ": not a calq sensitivity.json (no tensors / gainPoints)");
            List<TensorSensitivity> tensors = m.convertValue(root.get("tensors"), new com.fasterxml.jackson.core.type.TypeReference<List<TensorSensitivity>>() {});
            List<GainPoint> points = m.convertValue(root.get("gainPoints"), new com.fasterxml.jackson.core.type.TypeReference<List<GainPoint>>() {});
            return new SensitivityTable(SensitivityMeasurement.withGains(tensors, points), points, root.path("probePositions").asInt(), root.path("seconds").asDouble());
        } catch (IOException | IllegalArgumentException e) {
            throw new CalqException(json + ": cannot read the sensitivity table: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static String csv(SensitivityTable table) {
        StringBuilder b = new StringBuilder("tensor,kind,layer,rows,cols,type,bytes,bpw,hessian_error,relative_error,predicted_kl,gain\n");
        for (TensorSensitivity t : table.tensors()) {
            for (TypeCost c : t.costs()) {
                b.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%s,%d,%.4f,%s,%s,%.6g,%s%n", t.name(), t.kind(), t.layer(), t.rows(), t.cols(),
                        c.type().name(), c.bytes(), 8.0 * c.bytes() / t.elements(), num(c.hessianError()), num(c.relativeError()),
                        c.predictedKl(), num(t.gain())));
            }
        }
        b.append("# substitutions measured end to end (tensor alone at type): tensor,kind,layer,type,hessian_error,measured_kl,gain\n");
        for (GainPoint g : table.gainPoints())
            b.append(String.format(Locale.ROOT, "# %s,%s,%d,%s,%.6g,%.6g,%.6g%n", g.name(), g.kind(), g.layer(), g.type().name(),
                    g.hessianError(), g.measuredKl(), g.gain()));
        return b.toString();
    }

    private static String num(double v) { return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v); }

    /** Each standard mix's file size (the converter's dry run) and the KL its types are predicted to cost. */
    static List<Point> mixPoints(Path model, Path output, SensitivityTable table) {
        List<Point> out = new ArrayList<>();
        for (QuantMix mix : MIXES) {
            GgufConverter.Result plan = GgufConverter.dryRun(model, output, GgufConverter.mixChooser(model, mix, MixOptions.NONE, true));
            Map<String, GgmlType> types = new LinkedHashMap<>();
            boolean covered = true;
            for (GgufConverter.ConvertedTensor t : plan.tensors()) {
                TensorSensitivity s = table.tensor(t.name());
                if (s == null) continue;
                if (s.cost(t.type()) == null) covered = false; // a type outside the candidates: no prediction
                types.put(t.name(), t.type());
            }
            if (covered) out.add(new Point(mix.name(), plan.fileBytes(), bpw(plan), table.predictedKl(types)));
        }
        return out;
    }

    /** The size-target mixes at 2.0, 2.25, ... 6.0 bits per weight (those the candidates can reach). */
    static List<Point> targetCurve(Path model, Path output, SensitivityTable table) {
        TargetMix.Baseline base = TargetMix.Baseline.of(model, output, QuantMix.Q4_K_M, table);
        long min = 0, max = 0;
        for (TensorSensitivity t : table.tensors()) {
            min += t.costs().getFirst().bytes();
            max += t.costs().getLast().bytes();
        }
        List<Point> out = new ArrayList<>();
        for (int i = 0; i <= 16; i++) {
            double b = 2.0 + 0.25 * i;
            long budget = (long) (b * base.elements() / 8) - base.fixedBytes();
            if (budget < min || budget > max + (max >> 4)) continue;
            TypeAllocator.Allocation a = TypeAllocator.allocate(table.tensors(), budget);
            long bytes = a.bytes() + base.fixedBytes();
            out.add(new Point(String.format(Locale.ROOT, "%.2f bpw", b), bytes + base.overhead(), 8.0 * bytes / base.elements(), a.predictedKl()));
        }
        return out;
    }

    private static double bpw(GgufConverter.Result plan) {
        long bytes = 0, elements = 0;
        for (GgufConverter.ConvertedTensor t : plan.tensors()) {
            bytes += t.bytes();
            elements += t.elements();
        }
        return 8.0 * bytes / elements;
    }
}
