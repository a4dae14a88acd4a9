package dev.calq.cli;

import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.gguf.llama.GgufReport;
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

    @Mixin GgufTypeOptions types = new GgufTypeOptions("F16");

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Override public Integer call() {
        GgufJob.Target target = new GgufJob.Target(types.type, types.mixFlags.options(), output);
        GgufReport.print(spec.commandLine().getOut(), GgufJob.convert(model, target, types.imatrix, types.mixFlags.dryRun, overwrite));
        return 0;
    }
}
