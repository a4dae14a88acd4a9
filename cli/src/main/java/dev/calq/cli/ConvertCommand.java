package dev.calq.cli;

import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.gguf.mix.QuantMix;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

    @Option(names = "--type", defaultValue = "F16", description = "F32, F16, BF16 or a mix: Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q4_K_S, Q3_K_M, Q2_K, IQ4_XS, IQ4_NL, Q4_0, ... (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--imatrix", description = "Importance matrix (llama-imatrix GGUF or legacy .dat) used when quantizing.")
    Path imatrix;

    @Option(names = "--tensor-type", description = "REGEX=TYPE: force a ggml type on tensors whose llama.cpp name matches (repeatable).")
    List<String> tensorTypes = new ArrayList<>();

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Override public Integer call() {
        GgufJob.Target target = new GgufJob.Target(type, tensorTypes, output);
        ImportanceMatrix im = imatrix == null ? null : ImportanceMatrix.read(imatrix);
        long t0 = System.nanoTime();
        GgufConverter.Result r = GgufJob.write(model, target, im, overwrite);
        double secs = (System.nanoTime() - t0) / 1e9;
        printSummary(spec.commandLine().getOut(), r, target.mix(), secs);
        return 0;
    }

    static void printSummary(PrintWriter out, GgufConverter.Result r, QuantMix mix, double secs) {
        Map<GgmlType, long[]> byType = new TreeMap<>(); // tensors, elements, bytes
        for (GgufConverter.ConvertedTensor t : r.tensors()) {
            long[] a = byType.computeIfAbsent(t.type(), k -> new long[3]);
            a[0]++;
            a[1] += t.elements();
            a[2] += t.bytes();
        }
        long elements = 0, bytes = 0;
        out.printf("%-8s %8s %14s %12s %8s%n", "type", "tensors", "weights", "MiB", "bpw");
        for (Map.Entry<GgmlType, long[]> e : byType.entrySet()) {
            long[] a = e.getValue();
            elements += a[1];
            bytes += a[2];
            out.printf("%-8s %8d %14d %12.2f %8.3f%n", e.getKey().name(), a[0], a[1], a[2] / 1048576.0, 8.0 * a[2] / a[1]);
        }
        out.printf("%-8s %8d %14d %12.2f %8.3f%n", "total", r.tensors().size(), elements, bytes / 1048576.0, 8.0 * bytes / elements);
        out.printf("wrote %s (%s, %.2f MiB) in %.1f s%n", r.output(), mix.name(), r.fileBytes() / 1048576.0, secs);
        out.flush();
    }
}
