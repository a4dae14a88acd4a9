package dev.calq.formats.gguf.llama;

import dev.calq.formats.gguf.mix.QuantMix;
import java.io.PrintWriter;

/** What every GGUF job prints: the --dry-run report, the summary table and the line naming the file written. */
public final class GgufReport {
    private GgufReport() {}

    /** Prints what a conversion did: the file's summary, or llama-quantize's --dry-run view of the plan. */
    public static void print(PrintWriter out, GgufJob.Outcome o) {
        if (o.written() != null) printWritten(out, o.written());
        else printPlan(out, o.plan());
    }

    /** The dry run's closing line: the size the file would have. */
    public static void printDryRunSize(PrintWriter out, java.nio.file.Path output, long bytes) {
        out.printf(java.util.Locale.ROOT, "dry run: %s would be %d bytes (%.2f MiB); nothing written%n", output, bytes, bytes / 1048576.0);
    }

    /** Prints llama-quantize's --dry-run view: tensor -> type, bits per weight and size, then the totals. */
    public static void printPlan(PrintWriter out, GgufJob.Plan p) {
        GgufConverter.Result plan = p.plan();
        out.printf("%-32s %-8s %-16s %8s %12s%n", "tensor", "type", "shape", "bpw", "MiB");
        for (GgufConverter.ConvertedTensor t : plan.tensors()) {
            out.printf("%-32s %-8s %-16s %8.3f %12.3f%n", t.name(), t.type().name(), shape(t.ne()), 8.0 * t.bytes() / t.elements(),
                    t.bytes() / 1048576.0);
        }
        printSummary(out, plan);
        printDryRunSize(out, p.output(), plan.fileBytes());
        GgufConverter.ConvertedTensor needs = p.needsImatrix();
        if (needs != null)
            out.printf("warning: writing it needs an importance matrix (%s is %s): pass --imatrix FILE or --calibration SRC%n",
                    needs.name(), needs.type().ggmlName());
        out.flush();
    }

    static String shape(long[] ne) {
        StringBuilder b = new StringBuilder();
        for (long d : ne) b.append(b.isEmpty() ? "" : "x").append(d);
        return b.toString();
    }

    /** Tensors, weights, MiB and bits per weight per type, and the totals. */
    public static void printSummary(PrintWriter out, GgufConverter.Result r) {
        java.util.Map<dev.calq.formats.gguf.quant.GgmlType, long[]> byType = new java.util.TreeMap<>(); // tensors, elements, bytes
        for (GgufConverter.ConvertedTensor t : r.tensors()) {
            long[] a = byType.computeIfAbsent(t.type(), k -> new long[3]);
            a[0]++;
            a[1] += t.elements();
            a[2] += t.bytes();
        }
        long elements = 0, bytes = 0;
        out.printf("%-8s %8s %14s %12s %8s%n", "type", "tensors", "weights", "MiB", "bpw");
        for (var e : byType.entrySet()) {
            long[] a = e.getValue();
            elements += a[1];
            bytes += a[2];
            out.printf("%-8s %8d %14d %12.2f %8.3f%n", e.getKey().name(), a[0], a[1], a[2] / 1048576.0, 8.0 * a[2] / a[1]);
        }
        out.printf("%-8s %8d %14d %12.2f %8.3f%n", "total", r.tensors().size(), elements, bytes / 1048576.0, 8.0 * bytes / elements);
    }

    /** The summary table, then the file written, its mix and size, and the seconds it took. */
    public static void printWritten(PrintWriter out, GgufJob.Written w) { printWritten(out, w.file(), w.mix(), w.seconds()); }

    /** As above, from its parts. */
    public static void printWritten(PrintWriter out, GgufConverter.Result r, QuantMix mix, double secs) {
        printSummary(out, r);
        out.printf("wrote %s (%s, %.2f MiB) in %.1f s%n", r.output(), mix.name(), r.fileBytes() / 1048576.0, secs);
        out.flush();
    }
}
