package dev.calq.cli;

import dev.calq.calibration.quant.GridConfig;
import dev.calq.formats.CalqException;
import dev.calq.gptq.BlockOrder;
import dev.calq.gptq.GgufGptqQuantizer;
import dev.calq.gptq.GptqConfig;
import dev.calq.gptq.GptqTarget;
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

    @Option(names = "--gptq-target", defaultValue = "full-precision",
            description = "--method gptq --format gguf: fit each projection on the full-precision model's inputs (fp-inputs), on the quantized "
                    + "model's (quantized-inputs), or fit the quantized model's inputs to the full-precision model's outputs (full-precision) "
                    + "(default: ${DEFAULT-VALUE}).")
    String gptqTarget;

    @Option(names = "--gptq-target-shrink", defaultValue = "0.5",
            description = "--gptq-target full-precision: the fraction of the weight shift applied, 0 to 2 (default: ${DEFAULT-VALUE}).")
    double gptqTargetShrink;

    @Option(names = "--gptq-target-damp", defaultValue = "0",
            description = "--gptq-target full-precision: damping fraction of the shift's solve (0: GPTQ's --damp) (default: ${DEFAULT-VALUE}).")
    double gptqTargetDamp;

    @Option(names = "--gptq-embedding", defaultValue = "original",
            description = "--method gptq --format gguf: start the quantized model's calibration stream from the original token embedding "
                    + "(original) or from token_embd as the file stores it (stored) (default: ${DEFAULT-VALUE}).")
    String gptqEmbedding;

    /**
     * The job's target under {@code --method awq+gptq} ({@code awqScaled}) or plain GPTQ. AWQ folds its scales into the
     * norms and projections of each layer before GPTQ runs there, so the runner's snapshot of a layer's original
     * weights would no longer describe the model the quantized stream runs: the full-precision target and the stored
     * embedding are refused there, and the target is the full-precision model's inputs (what awq+gptq was measured with).
     */
    GptqTarget ggufTarget(boolean awqScaled, picocli.CommandLine.ParseResult parsed) {
        if (!awqScaled) {
            GptqTarget t = ggufTarget();
            // the shift's options act only on the full-precision target's shift: refuse them where they would be dropped
            if (t.fit() != GptqTarget.Fit.FULL_PRECISION)
                for (String name : new String[] {"--gptq-target-shrink", "--gptq-target-damp"})
                    if (parsed.hasMatchedOption(name))
                        throw new CalqException(name + " applies to --gptq-target full-precision only (" + t.fit().option() + " fits no shift)");
            return t;
        }
        if (parsed.hasMatchedOption("--gptq-target-shrink") || parsed.hasMatchedOption("--gptq-target-damp")
                || parsed.hasMatchedOption("--gptq-embedding"))
            throw new CalqException("--gptq-target-shrink, --gptq-target-damp and --gptq-embedding do not apply to --method awq+gptq "
                    + "(AWQ's scales change each layer before GPTQ runs in it; its target is fp-inputs or quantized-inputs)");
        if (!parsed.hasMatchedOption("--gptq-target")) return GptqTarget.FP_INPUTS;
        GptqTarget.Fit fit = GptqTarget.Fit.parse(gptqTarget);
        if (fit == GptqTarget.Fit.FULL_PRECISION)
            throw new CalqException("--gptq-target full-precision does not apply to --method awq+gptq (AWQ's scales change each layer "
                    + "before GPTQ runs in it); use fp-inputs or quantized-inputs");
        return new GptqTarget(fit, 1, 0, false);
    }

    /** --gptq-target, --gptq-target-shrink and --gptq-embedding as the job's target. */
    GptqTarget ggufTarget() {
        boolean stored = switch (gptqEmbedding) {
            case "original" -> false;
            case "stored" -> true;
            default -> throw new CalqException("--gptq-embedding " + gptqEmbedding + ": expected original or stored");
        };
        return new GptqTarget(GptqTarget.Fit.parse(gptqTarget), gptqTargetShrink, gptqTargetDamp, stored);
    }

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
