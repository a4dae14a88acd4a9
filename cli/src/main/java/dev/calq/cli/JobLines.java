package dev.calq.cli;

import dev.calq.awq.AwqJob;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.gguf.llama.GgufReport;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.gptq.GgufGptqJob;
import dev.calq.gptq.GptqJob;
import dev.calq.imatrix.ImatrixJob;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What the commands print of their jobs' results (the jobs themselves print only progress, on the log). */
final class JobLines {
    private JobLines() {}

    /** GPTQ or RTN: the GGUF files beside the checkpoint, then the checkpoint's line. */
    static void gptq(PrintWriter out, GptqJob.Result r) {
        GptqJob.Options o = r.options();
        var cfg = o.config();
        gguf(out, r.gguf());
        checkpoint(out, o.pass().output(), (o.scaling() != null ? "awq+" : "") + o.algorithm().name().toLowerCase(Locale.ROOT), o.formatName(), o.bnb(), o.doubleQuant(),
                cfg.bits(), cfg.groupSize(), cfg.sym() ? "symmetric" : "asymmetric", r.seconds());
    }

    /** AWQ: its GGUF files, then the checkpoint's line. */
    static void awq(PrintWriter out, AwqJob.Result r) {
        AwqJob.Options o = r.options();
        var cfg = o.grid();
        gguf(out, r.gguf());
        checkpoint(out, o.pass().output(), "awq", o.formatName(), o.bnb(), o.doubleQuant(), cfg.bits(), cfg.groupSize(),
                cfg.sym() ? "symmetric" : "zero points", r.seconds());
    }

    /** GPTQ inside the block types: a size target's choice, then the file (how many tensors GPTQ encoded, on the log). */
    static void ggufGptq(PrintWriter out, PrintStream log, GgufGptqJob.Result r, QuantMix mix, Path output) {
        if (r.target() != null) SizeTargetLines.chosen(out, log, r.target(), output);
        log.printf(Locale.ROOT, "GPTQ inside the block types: %d of %d tensors%n", r.gptqTensors(), r.file().tensors().size());
        GgufReport.printWritten(out, r.file(), mix, r.seconds());
    }

    static void gguf(PrintWriter out, List<GgufJob.Written> files) {
        for (GgufJob.Written w : files) GgufReport.printWritten(out, w);
    }

    private static void checkpoint(PrintWriter out, Path output, String method, String formatName, Bnb4BitType bnb, boolean doubleQuant,
                                   int bits, int groupSize, String zeros, double secs) {
        if (bnb != null)
            out.printf(Locale.ROOT, "wrote %s (%s, bitsandbytes %s in blocks of 64, %s) in %.1fs%n", output, method, bnb.jsonName(),
                    doubleQuant ? "double-quantized absmax" : "float32 absmax", secs);
        else out.printf(Locale.ROOT, "wrote %s (%s, %s format, %d-bit, group %d, %s) in %.1fs%n", output, method, formatName, bits, groupSize, zeros, secs);
        out.flush();
    }

    /** The importance matrix written, with the perplexity of its pass. */
    static void imatrix(PrintWriter out, ImatrixJob.Result r) {
        var p = r.collected().perplexity();
        out.printf(Locale.ROOT, "wrote %s: %d tensors, %d chunks of %d tokens, ppl %.4f +/- %.4f, %.1fs (%.0f tok/s)%n", r.output(),
                r.collected().matrix().entries().size(), p.windows(), r.ctx(), p.ppl(), p.pplUncertainty(), p.seconds(), p.tokensPerSecond());
        out.flush();
    }
}
