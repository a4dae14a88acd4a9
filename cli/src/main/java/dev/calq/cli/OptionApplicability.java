package dev.calq.cli;

import dev.calq.formats.CalqException;
import picocli.CommandLine;

/**
 * Refuses {@code quantize} options that the chosen method and format would ignore: a user who passes
 * {@code --act-order} or {@code --bits 3} must get what they asked for or a one-line error saying why not, never a
 * silently different output. Only options given on the command line count (defaults never trip it).
 */
final class OptionApplicability {
    private OptionApplicability() {}

    static void check(CommandLine.ParseResult parsed, String method, String format, boolean calibrationGiven, boolean alsoGguf) {
        boolean both = method.equals("awq+gptq");
        boolean gptq = method.equals("gptq") || both, awq = method.equals("awq") || both, rtn = method.equals("rtn"), ggufOut = format.equals("gguf");
        boolean layerwise = !(ggufOut && rtn) && (calibrationGiven || !rtn);
        refuse(parsed, !gptq, "applies to --method gptq only", "--act-order", "--static-groups", "--damp", "--block-size",
                "--true-sequential", "--compare-rtn");
        refuse(parsed, !awq, "applies to --method awq only", "--awq-grid", "--duo-scaling", "--awq-clip", "--max-shrink",
                "--awq-gqa-output", "--awq-max-tokens");
        refuse(parsed, both, "does not apply to --method awq+gptq: it applies AWQ's scales only (a clamp would change the weights GPTQ reproduces, "
                + "so the clipping error would never be compensated)", "--awq-clip", "--max-shrink");
        // In a GGUF file only AWQ's search (awq, awq+gptq) reads the grid; GPTQ runs inside the mix's block types.
        refuse(parsed, ggufOut && !awq, "sets the integer grid of a GPTQ/AWQ checkpoint; a GGUF file's types come from --type and --tensor-type",
                "--bits", "--group-size", "--sym", "--mse-clip");
        refuse(parsed, ggufOut, "does not apply to --format gguf (each ggml block's scales come from its own weights)", "--static-groups");
        refuse(parsed, ggufOut, "does not apply to --format gguf (GPTQ's lazy batch there is one ggml block)", "--block-size");
        refuse(parsed, ggufOut, "does not apply to --format gguf (its error table always compares the mix's plain imatrix quantization)", "--compare-rtn");
        refuse(parsed, format.equals("nf4"), "does not apply to --format nf4 (bitsandbytes' 4-bit code in blocks of 64 with absmax scales)",
                "--bits", "--group-size", "--sym", "--mse-clip", "--static-groups");
        refuse(parsed, !format.equals("nf4"), "applies to --format nf4 only", "--bnb-type", "--double-quant");
        refuse(parsed, !(gptq && ggufOut), "applies to --method gptq --format gguf only (GPTQ inside the ggml block types)", "--gguf-scales",
                "--gguf-order", "--gptq-target", "--gptq-target-shrink", "--gptq-target-damp", "--gptq-embedding");
        refuse(parsed, !format.equals("gptq"), "applies to --format gptq only (GPTQ checkpoints, v1 or v2)", "--checkpoint-format");
        refuse(parsed, !ggufOut, "applies to --format gguf (a GGUF beside a checkpoint is --also-gguf TYPE=FILE)", "--type");
        refuse(parsed, !ggufOut && !alsoGguf, "applies to GGUF outputs (--format gguf or --also-gguf)", "--tensor-type", "--tensor-type-file",
                "--pure", "--output-tensor-type", "--token-embedding-type");
        refuse(parsed, !layerwise, "applies to layer-by-layer calibration runs (GPTQ, AWQ, or RTN with --calibration), not to this one",
                "--memory", "--work-dir", "--resume");
        // the size target chooses a GGUF mix's types (AWQ's GGUF path writes --type as given); its measurement
        // options mean nothing without one
        refuse(parsed, !ggufOut || method.equals("awq"), "applies to --format gguf with --method rtn, gptq or awq+gptq (it chooses the GGUF file's types)",
                "--target-size", "--target-bpw");
        boolean target = parsed.hasMatchedOption("--target-size") || parsed.hasMatchedOption("--target-bpw");
        refuse(parsed, !target, "applies to a size target (--target-size or --target-bpw)", "--candidate-types", "--gain-type", "--probe-chunks",
                "--sample-rows", "--sensitivity", "--tensor-types-output", "--report");
        refuse(parsed, !calibrationGiven, "applies only with --calibration", "--nsamples", "--seqlen", "--seed", "--bos", "--sampling", "--text-field",
                "--imatrix-output");
        refuse(parsed, ggufOut && rtn && parsed.hasMatchedOption("--imatrix"), "does not apply with --imatrix FILE: this run reads its importance matrix "
                + "and gathers none", "--imatrix-output");
        // (a size target still measures its sensitivity on the calibration text, with the file's matrix for the codecs)
        refuse(parsed, ggufOut && rtn && parsed.hasMatchedOption("--imatrix") && !target, "does not apply with --imatrix FILE for --format gguf "
                + "(method rtn): the importance matrix is read from the file, none is gathered; give one of the two", "--calibration");
        refuse(parsed, ggufOut && rtn, "does not apply to the importance-matrix pass of --format gguf (llama.cpp's consecutive chunks, BOS first)",
                "--seed", "--bos", "--sampling");
    }

    private static void refuse(CommandLine.ParseResult parsed, boolean doesNotApply, String why, String... names) {
        if (!doesNotApply) return;
        for (String name : names) {
            CommandLine.Model.OptionSpec o = parsed.commandSpec().findOption(name);
            if (o != null && parsed.hasMatchedOption(o)) throw new CalqException(name + " " + why);
        }
    }
}
