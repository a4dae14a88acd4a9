package dev.calq.datasets;

import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.formats.CalqException;
import java.nio.file.Path;
import java.util.List;

/**
 * Which calibration text a run reads and how it is sampled: the validated form of the command line's calibration
 * options, handed to the jobs.
 *
 * @param source    a file, folder, .jsonl, WikiText raw file or dataset name (null: no calibration text)
 * @param textField the JSON Lines field holding the text
 * @param nsamples  samples (or documents, for AWQ's sampling; chunks for llama.cpp's)
 * @param seqlen    tokens per sample
 * @param seed      seed of the random windows
 * @param bos       start every sample with BOS (null: as the tokenizer config says)
 * @param sampling  the sampling style (null: the method's default)
 */
public record CalibrationSpec(String source, String textField, int nsamples, int seqlen, long seed, Boolean bos,
                              CalibrationSampler.Style sampling) {

    public boolean given() { return source != null; }

    /** The source as a path, for the output guard (null when not given; a dataset name never exists as a file). */
    public Path path() { return source == null ? null : Path.of(source); }

    /** The samples of this spec, in {@code sampling} or else {@code defaultStyle}. */
    public List<int[]> samples(Tokenizer tok, CalibrationSampler.Style defaultStyle) {
        if (source == null) throw new CalqException("--calibration is required for this method");
        if (nsamples <= 0 || seqlen <= 1) throw new CalqException("--nsamples must be positive and --seqlen at least 2");
        CalibrationSource parsed = CalibrationSource.parse(source, textField);
        boolean withBos = bos != null ? bos : tok.addBos();
        return CalibrationSampler.sample(sampling != null ? sampling : defaultStyle, tok, parsed, nsamples, seqlen, seed, withBos);
    }

    /** What identifies the calibration input in a resume key. */
    public String describe() {
        return source + "|" + textField + "|" + nsamples + "|" + seqlen + "|" + seed + "|" + bos + "|" + sampling;
    }
}
