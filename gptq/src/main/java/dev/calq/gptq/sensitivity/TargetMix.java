package dev.calq.gptq.sensitivity;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.Sizes;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.MixOptions;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A mix chosen for a size target: the allocator's types written as one anchored {@code --tensor-type} override per
 * tensor on top of a base mix (whose file type id the GGUF records), the file size checked by a dry run of the
 * converter itself and the budget tightened until the file fits.
 */
public final class TargetMix {
    /** A target: a whole-file size in bytes, or bits per weight over all tensors (as the summary table counts them). */
    public record Target(long fileBytes, double bitsPerWeight) {
        public static Target of(String size, Double bpw) {
            if ((size == null) == (bpw == null)) throw new CalqException("give one of --target-size and --target-bpw");
            if (bpw != null) {
                if (!(bpw > 0) || !Double.isFinite(bpw)) throw new CalqException("--target-bpw " + bpw + " must be a positive number of bits");
                return new Target(-1, bpw);
            }
            return new Target(Sizes.parse(size, "--target-size"), Double.NaN);
        }

        public boolean bySize() { return fileBytes > 0; }

        public String describe() {
            return bySize() ? String.format(Locale.ROOT, "%d bytes (%.2f MiB)", fileBytes, fileBytes / 1048576.0)
                    : String.format(Locale.ROOT, "%.3f bits per weight", bitsPerWeight);
        }
    }

    /** The chosen types, as overrides on the base mix and the chooser that writes them, the converter's plan, and what was reached. */
    public record Choice(TypeAllocator.Allocation allocation, MixOptions options, MixChooser chooser, GgufConverter.Result plan, double reached, double target) {}

    /**
     * What a file holds besides the chosen tensors, from the converter's dry run of a mix: the other tensors' bytes
     * (norms), the header and alignment bytes, and the weight count over all tensors (for bits per weight).
     */
    record Baseline(long fixedBytes, long overhead, long elements) {
        static Baseline of(Path model, Path output, QuantMix base, SensitivityTable table) {
            GgufConverter.Result plan = GgufConverter.dryRun(model, output, GgufConverter.mixChooser(model, base, MixOptions.NONE, true));
            Set<String> chosen = new HashSet<>();
            for (TensorSensitivity t : table.tensors()) chosen.add(t.name());
            long fixed = 0, all = 0, elements = 0;
            for (GgufConverter.ConvertedTensor t : plan.tensors()) {
                all += t.bytes();
                elements += t.elements();
                if (!chosen.contains(t.name())) fixed += t.bytes();
            }
            return new Baseline(fixed, plan.fileBytes() - all, elements);
        }
    }

    private TargetMix() {}

    /**
     * Refuses, before any measurement, a target that even the smallest candidate types exceed: sizes depend on the
     * shapes alone. The tensors counted are those the base mix quantizes.
     */
    public static void checkReachable(Path model, Path output, QuantMix base, List<GgmlType> candidates, Target target) {
        GgufConverter.Result plan = GgufConverter.dryRun(model, output, GgufConverter.mixChooser(model, base, MixOptions.NONE, true));
        long smallest = plan.fileBytes(), tensorBytes = 0, elements = 0;
        for (GgufConverter.ConvertedTensor t : plan.tensors()) {
            elements += t.elements();
            long min = t.bytes();
            if (t.type().blockSize() > 1) {
                for (GgmlType c : candidates)
                    if (Quantizers.supports(c) && t.ne()[0] % c.blockSize() == 0) min = Math.min(min, t.elements() / t.ne()[0] * c.rowBytes(t.ne()[0]));
            }
            smallest -= t.bytes() - min;
            tensorBytes += min;
        }
        double reach = target.bySize() ? smallest : 8.0 * tensorBytes / elements;
        double limit = target.bySize() ? target.fileBytes() : target.bitsPerWeight();
        if (reach > limit)
            throw new CalqException(String.format(Locale.ROOT, "the size target %s is below the smallest file the candidate types make (%s); the smallest types need more",
                    target.describe(), target.bySize() ? smallest + " bytes" : String.format(Locale.ROOT, "%.3f bits per weight", reach)));
    }

    public static Choice choose(Path model, Path output, QuantMix base, SensitivityTable table, Target target) {
        Baseline b = Baseline.of(model, output, base, table);
        double want = target.bySize() ? target.fileBytes() : target.bitsPerWeight() * b.elements() / 8.0;
        long budget = (long) Math.floor(want - b.fixedBytes() - (target.bySize() ? b.overhead() : 0));
        for (int attempt = 0; ; attempt++) {
            TypeAllocator.Allocation a = TypeAllocator.allocate(table.tensors(), budget);
            MixOptions options = new MixOptions(MixChooser.parseAll(overrides(a.types())), false, null, null);
            MixChooser chooser = GgufConverter.mixChooser(model, base, options, true);
            GgufConverter.Result plan = GgufConverter.dryRun(model, output, chooser);
            for (GgufConverter.ConvertedTensor t : plan.tensors()) {
                GgmlType w = a.types().get(t.name());
                if (w != null && w != t.type())
                    throw new IllegalStateException(t.name() + ": chose " + w + " but the converter writes " + t.type());
            }
            long tensorBytes = 0;
            for (GgufConverter.ConvertedTensor t : plan.tensors()) tensorBytes += t.bytes();
            double reached = target.bySize() ? plan.fileBytes() : 8.0 * tensorBytes / b.elements();
            double limit = target.bySize() ? target.fileBytes() : target.bitsPerWeight();
            if (reached <= limit || attempt == 3) return new Choice(a, options, chooser, plan, reached, limit);
            double overBytes = target.bySize() ? reached - limit : (reached - limit) * b.elements() / 8.0;
            budget -= (long) Math.ceil(overBytes);
        }
    }

    /** One {@code ^name$=type} override per tensor, in the file's tensor order (llama-quantize's --tensor-type syntax). */
    static List<String> overrides(Map<String, GgmlType> types) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, GgmlType> e : types.entrySet())
            out.add("^" + e.getKey().replace(".", "\\.") + "$=" + e.getValue().ggmlName());
        return out;
    }

    /** The choice as a {@code --tensor-type-file} (one override a line), for llama-quantize or a calq replay. */
    static void writeTensorTypeFile(Path file, Map<String, GgmlType> types, boolean overwrite) {
        writeLines(file, overrides(types), overwrite);
    }

    /** Prints every tensor's chosen type and predicted KL, and the totals against the target. */
    public static void print(PrintWriter out, SensitivityTable table, Choice c) {
        out.printf("%-32s %-8s %12s %12s%n", "tensor", "type", "MiB", "pred. KL");
        for (TensorSensitivity t : table.tensors()) {
            GgmlType type = c.allocation().types().get(t.name());
            var cost = t.cost(type);
            out.printf(Locale.ROOT, "%-32s %-8s %12.3f %12.6f%n", t.name(), type.name(), cost.bytes() / 1048576.0, cost.predictedKl());
        }
        out.printf(Locale.ROOT, "target mix: %s of %s (%.2f%% of it), predicted KL divergence %.5f%n",
                c.plan().fileBytes() + " bytes", c.target() > 1000 ? String.format(Locale.ROOT, "%.0f bytes", c.target())
                        : String.format(Locale.ROOT, "%.3f bpw (reached %.3f)", c.target(), c.reached()),
                100 * c.reached() / c.target(), c.allocation().predictedKl());
        if (c.reached() < 0.99 * c.target())
            out.println("warning: more than 1% under the target: the largest candidate types are all chosen");
        if (c.reached() > c.target()) out.println("warning: the file is over the target after three tightenings");
        out.flush();
    }

    /** Writes text lines under a temporary name and renames it into place. */
    static void writeLines(Path file, List<String> lines, boolean overwrite) {
        AtomicOutput.checkTarget(file, overwrite);
        Path tmp = AtomicOutput.tempSibling(file);
        try {
            Files.write(tmp, lines, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            AtomicOutput.discard(tmp);
            throw new CalqException(file + ": cannot write: " + e.getMessage());
        }
        AtomicOutput.commit(tmp, file, overwrite);
    }
}
