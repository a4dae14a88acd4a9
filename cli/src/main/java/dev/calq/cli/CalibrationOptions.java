package dev.calq.cli;

import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.CalibrationSource;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.formats.CalqException;
import java.util.List;
import picocli.CommandLine.Option;

/** Calibration-data options shared by quantize and imatrix. */
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

    boolean given() { return calibration != null; }

    /** The calibration source as a path, for the output guard (null when not given; a dataset name never exists). */
    java.nio.file.Path path() { return calibration == null ? null : java.nio.file.Path.of(calibration); }

    List<int[]> samples(Tokenizer tok, CalibrationSampler.Style defaultStyle) {
        if (calibration == null) throw new CalqException("--calibration is required for this method");
        if (nsamples <= 0 || seqlen <= 1) throw new CalqException("--nsamples must be positive and --seqlen at least 2");
        CalibrationSource source = CalibrationSource.parse(calibration, textField);
        boolean withBos = bos != null ? bos : tok.addBos();
        return CalibrationSampler.sample(sampling != null ? sampling : defaultStyle, tok, source, nsamples, seqlen, seed, withBos);
    }

    /** What identifies the calibration input in a resume key. */
    String describe() {
        return calibration + "|" + textField + "|" + nsamples + "|" + seqlen + "|" + seed + "|" + bos + "|" + sampling;
    }
}
