package dev.calq.cli;

import dev.calq.calibration.quant.GridConfig;
import dev.calq.gptq.GptqConfig;
import picocli.CommandLine.Option;

/** GPTQ's own options on top of the grid; AWQ and RTN never see them. */
final class GptqOptions {
    @Option(names = "--act-order", description = "GPTQ: quantize columns by decreasing Hessian diagonal (desc_act).")
    boolean actOrder;

    @Option(names = "--static-groups", description = "GPTQ: group scales from the unmodified weight.")
    boolean staticGroups;

    @Option(names = "--damp", defaultValue = "0.01", description = "GPTQ dampening, fraction of the mean Hessian diagonal (default: ${DEFAULT-VALUE}).")
    double damp;

    @Option(names = "--block-size", defaultValue = "128", description = "GPTQ lazy-batch block (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--true-sequential", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "GPTQ: observe each projection group after the earlier ones are quantized (default: on).")
    boolean trueSequential;

    @Option(names = "--compare-rtn", description = "Also report RTN's output error per projection.")
    boolean compareRtn;

    GptqConfig config(GridConfig grid) { return new GptqConfig(grid, actOrder, staticGroups, damp, blockSize, trueSequential); }
}
