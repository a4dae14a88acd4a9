package dev.calq.cli;

import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code calq convert}: a Hugging Face folder to a GGUF file, optionally quantized with a llama-quantize mix. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a Hugging Face Llama/Mistral/Qwen2/Qwen3 folder to GGUF (F32, F16, BF16 or a llama-quantize mix).")
public final class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json, safetensors, tokenizer).")
    Path model;

    @Option(names = "--output", required = true, description = "GGUF file to write.")
    Path output;

    @Option(names = "--type", defaultValue = "F16", description = "F32, F16, BF16 or a llama-quantize mix: Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q4_K_M, Q4_K_S, Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, Q2_K_S, IQ4_XS, IQ4_NL, IQ3_M, IQ3_S, IQ3_XS, IQ3_XXS, IQ2_M, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S, Q4_0, ... (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--imatrix", description = "Importance matrix (llama-imatrix GGUF or legacy .dat) used when quantizing.")
    Path imatrix;

    @Mixin MixFlags mixFlags = new MixFlags();

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Override public Integer call() {
        GgufJob.Target target = new GgufJob.Target(type, mixFlags.options(), output);
        PrintWriter out = spec.commandLine().getOut();
        if (mixFlags.dryRun) return GgufMixRun.dryRun(model, target, imatrix != null, out);
        dev.calq.formats.AtomicOutput.checkTarget(output, overwrite, model, imatrix);
        ImportanceMatrix im = imatrix == null ? null : ImportanceMatrix.read(imatrix);
        long t0 = System.nanoTime();
        GgufConverter.Result r = GgufJob.write(model, target, im, overwrite);
        double secs = (System.nanoTime() - t0) / 1e9;
        printSummary(out, r, target.mix(), secs);
        return 0;
    }

    static void printSummary(PrintWriter out, GgufConverter.Result r, QuantMix mix, double secs) {
        GgufMixRun.printSummary(out, r);
        out.printf("wrote %s (%s, %.2f MiB) in %.1f s%n", r.output(), mix.name(), r.fileBytes() / 1048576.0, secs);
        out.flush();
    }
}
