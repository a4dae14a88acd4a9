package dev.calq.cli;

import dev.calq.calibration.quant.GridConfig;
import dev.calq.formats.CalqException;
import dev.calq.gptq.BlockOrder;
import dev.calq.gptq.GgufGptqQuantizer;
import dev.calq.gptq.GptqConfig;
import picocli.CommandLine.Option;

/** GPTQ's own options on top of the grid; AWQ and RTN never see them. */
final class GptqOptions {
    @Option(names = "--act-order", description = "GPTQ: quantize columns by decreasing Hessian diagonal (desc_act).")
    boolean actOrder;

    @Option(names = "--static-groups", description = "GPTQ: group scales from the unmodified weight.")
    boolean staticGroups;

    /** GPTQ checkpoints: the reference implementations' damping. */
    static final double CHECKPOINT_DAMP = 0.01;

    /** GPTQ inside the ggml block types: 3% lower KL than 0.01 at Q3_K_M on the shared model (docs/quality.md). */
    static final double GGUF_DAMP = 0.1;

    @Option(names = "--damp", description = "GPTQ dampening, fraction of the mean Hessian diagonal (default: 0.01; 0.1 for --format gguf).")
    Double damp;

    /** --damp, or the default for a GGUF file or a checkpoint. */
    double damp(boolean gguf) { return damp != null ? damp : gguf ? GGUF_DAMP : CHECKPOINT_DAMP; }

    @Option(names = "--block-size", defaultValue = "128", description = "GPTQ lazy-batch block (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--true-sequential", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "GPTQ: observe each projection group after the earlier ones are quantized (default: on).")
    boolean trueSequential;

    @Option(names = "--compare-rtn", description = "Also report RTN's output error per projection.")
    boolean compareRtn;

    @Option(names = "--gguf-scales", defaultValue = "hessian",
            description = "--method gptq --format gguf: each block's scales by the type's search with the Hessian's diagonal (diagonal), "
                    + "or the candidate of that search with the smallest GPTQ loss over the block (hessian) (default: ${DEFAULT-VALUE}).")
    String ggufScales;

    @Option(names = "--gguf-order", defaultValue = "natural",
            description = "--format gguf with GPTQ: the order of the ggml blocks, natural or trace (whole blocks by decreasing trace of "
                    + "their Hessian diagonal, natural order inside a block) (default: ${DEFAULT-VALUE}).")
    String ggufOrder;

    /** --gguf-order as the method's block order. */
    BlockOrder ggufBlockOrder() {
        return switch (ggufOrder) {
            case "natural" -> BlockOrder.NATURAL;
            case "trace" -> BlockOrder.BY_TRACE;
            default -> throw new CalqException("--gguf-order " + ggufOrder + ": expected natural or trace");
        };
    }

    /** --gguf-scales as the quantizer's choice. */
    GgufGptqQuantizer.ScaleChoice ggufScaleChoice() {
        return switch (ggufScales) {
            case "hessian" -> GgufGptqQuantizer.ScaleChoice.HESSIAN;
            case "diagonal" -> GgufGptqQuantizer.ScaleChoice.DIAGONAL;
            default -> throw new CalqException("--gguf-scales " + ggufScales + ": expected hessian or diagonal");
        };
    }

    GptqConfig config(GridConfig grid) { return new GptqConfig(grid, actOrder, staticGroups, damp(false), blockSize, trueSequential); }
}
