package dev.calq.cli;

import dev.calq.calibration.quant.GridConfig;
import picocli.CommandLine.Option;

/** The integer group grid of GPTQ/AWQ checkpoints, shared by GPTQ, RTN and AWQ. */
final class GridOptions {
    @Option(names = "--bits", defaultValue = "4", description = "2, 3, 4 or 8 (default: ${DEFAULT-VALUE}).")
    int bits;

    @Option(names = "--group-size", defaultValue = "128", description = "-1 (per channel), 32, 64, 128 ... (default: ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(names = "--sym", negatable = true, description = "Symmetric grid (default: on for gptq/rtn; off for awq, which uses zero points as AutoAWQ does).")
    Boolean sym;

    @Option(names = "--mse-clip", description = "Search a clipped min/max range per group minimising the error (GPTQ's mse option).")
    boolean mseClip;

    /** The grid; {@code symByDefault} is the method's default for --sym. */
    GridConfig config(boolean symByDefault) { return new GridConfig(bits, groupSize, sym != null ? sym : symByDefault, mseClip); }
}
