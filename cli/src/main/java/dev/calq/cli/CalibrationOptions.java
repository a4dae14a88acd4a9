package dev.calq.cli;

import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.CalibrationSource;
import dev.calq.datasets.CalibrationSpec;
import picocli.CommandLine.Option;

/** Calibration-data options shared by quantize and sensitivity. */
final class CalibrationOptions {
    @Option(names = "--calibration", paramLabel = "SRC",
            description = "Calibration text: a .txt file (documents separated by blank lines), .jsonl (see --text-field), a folder of .txt files, a WikiText raw file, or wikitext2 | c4 | pile-val (downloaded; fails offline).")
    String calibration;

    @Option(names = "--text-field", paramLabel = "NAME", defaultValue = CalibrationSource.DEFAULT_TEXT_FIELD,
            description = "JSON Lines field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--nsamples", defaultValue = "128", description = "Calibration samples (default: ${DEFAULT-VALUE}).")
    int nsamples;

    @Option(names = "--seqlen", defaultValue = "512", description = "Tokens per sample (default: ${DEFAULT-VALUE}).")
    int seqlen;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for sampling windows (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--bos", negatable = true, description = "Start each sample with BOS (default: as the tokenizer config says).")
    Boolean bos;

    @Option(names = "--sampling", paramLabel = "STYLE",
            description = "gptq (random windows of the joined text), awq (documents cut into blocks) or chunks (llama.cpp: consecutive chunks); default per method.")
    CalibrationSampler.Style sampling;

    /** The validated options as the jobs take them. */
    CalibrationSpec spec() { return new CalibrationSpec(calibration, textField, nsamples, seqlen, seed, bos, sampling); }

    boolean given() { return calibration != null; }

    /** The calibration source as a path, for the output guard (null when not given; a dataset name never exists). */
    java.nio.file.Path path() { return spec().path(); }
}
