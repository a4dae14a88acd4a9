package dev.calq.cli;

import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.quantized.CheckpointRepack;
import dev.calq.formats.quantized.GridCheckpointFormat;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code calq repack}: an existing GPTQ/AWQ/compressed-tensors checkpoint into another grid layout, weights unchanged. */
@Command(name = "repack", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Rewrite a GPTQ, AWQ or compressed-tensors checkpoint as GPTQ (v1 or v2) or compressed-tensors, without quantizing again.")
public final class RepackCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The quantized checkpoint folder.")
    Path model;

    @Option(names = "--format", required = true, description = "gptq | compressed-tensors.")
    String format;

    @Option(names = "--checkpoint-format", defaultValue = "gptq", description = "For --format gptq: gptq (v1) or gptq_v2 (default: ${DEFAULT-VALUE}).")
    String checkpointFormat;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
    Path output;

    @Option(names = "--overwrite", description = "Replace an existing output.")
    boolean overwrite;

    @Override public Integer call() {
        GridCheckpointFormat f = switch (format + "/" + checkpointFormat) {
            case "gptq/gptq" -> GridCheckpointFormat.GPTQ;
            case "gptq/gptq_v2" -> GridCheckpointFormat.GPTQ_V2;
            case "compressed-tensors/gptq" -> GridCheckpointFormat.COMPRESSED_TENSORS;
            default -> throw new CalqException("--format " + format + " --checkpoint-format " + checkpointFormat
                    + " is not a layout repack writes (gptq with gptq or gptq_v2, or compressed-tensors)");
        };
        for (String w : CheckpointRepack.repack(model, f, SafetensorsWriter.DEFAULT_SHARD_BYTES, output, overwrite)) System.err.println("warning: " + w);
        System.out.println("wrote " + output + " (" + format + (f == GridCheckpointFormat.GPTQ_V2 ? " v2" : "") + ", same weights as " + model + ")");
        return 0;
    }
}
