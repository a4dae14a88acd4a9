package dev.calq.cli;

import dev.calq.formats.gguf.llama.GgufReport;
import dev.calq.gptq.sensitivity.SensitivityReport;
import dev.calq.gptq.sensitivity.SizeTargetJob;
import dev.calq.gptq.sensitivity.TargetMix;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** What {@code quantize --target-size} prints of a size target's choice and of the file written with it. */
final class SizeTargetLines {
    private SizeTargetLines() {}

    /** Every tensor's chosen type and the totals, the report folder (on the log), then the saved types file or the dry run's size. */
    static void chosen(PrintWriter out, PrintStream log, SizeTargetJob.Chosen c, Path output) {
        TargetMix.print(out, c.sensitivity().table(), c.choice());
        if (c.report() != null) log.println(SensitivityReport.writtenLine(c.report()));
        if (c.typesFile() == null) {
            GgufReport.printDryRunSize(out, output, c.choice().plan().fileBytes());
        } else {
            out.println("saved the chosen types to " + c.typesFile() + " (replay: --tensor-type-file " + c.typesFile() + ")");
        }
        out.flush();
    }

    /** The choice, then the file's summary table and where the time went. */
    static void written(PrintWriter out, PrintStream log, SizeTargetJob.Written w, SizeTargetJob.Options o) {
        chosen(out, log, w.chosen(), o.output());
        if (w.file() == null) return;
        GgufReport.printWritten(out, w.file(), o.base(), w.writeSeconds());
        var s = w.chosen().sensitivity();
        out.printf(Locale.ROOT, "target run: %.1fs in all (sensitivity pass %.1fs, measurement %.1fs)%n", w.totalSeconds(), s.passSeconds(), s.measureSeconds());
        out.flush();
    }
}
