package dev.calq.awq;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.runner.CalibrationPass;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.calibration.runner.PassOptions;
import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.formats.bnb.BnbQuantize;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.gguf.llama.LlamaTensorNames;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.OverlayTensorSource;
import dev.calq.formats.tensor.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code calq quantize --method awq}: search, fold and clip per layer through the runner, then RTN of the scaled
 * weights into an AWQ GEMM, GPTQ (v1/v2) or compressed-tensors checkpoint (or onto NF4/FP4's table, which the search
 * then measured against, for a bitsandbytes checkpoint), or the scaled float weights into GGUF
 * mixes (with this pass's importance matrix, divided by the folded scales so that it describes the activations the
 * scaled weights now read); a checkpoint and GGUF files from the same pass when both are asked for.
 */
public final class AwqJob {
    /**
     * @param awqGemm       write the AWQ GEMM layout (else {@code checkpoint}, or no checkpoint when both are null/false)
     * @param checkpoint    a grid checkpoint layout (GPTQ v1/v2, compressed-tensors), or null
     * @param bnb           bitsandbytes' 4-bit type for an NF4/FP4 checkpoint (null: none); {@code grid} is then 4-bit blocks of 64
     * @param gguf          GGUF files of the scaled weights (the output itself for --format gguf, plus --also-gguf)
     * @param maxTokens     bound on one layer's cached inputs (Long.MAX_VALUE: all calibration tokens)
     * @param maxTokensGiven whether --awq-max-tokens was given (it is part of the resume key as given)
     * @param formatName    the output format as the command spells it, for the summary line
     */
    public record Options(PassOptions pass, GridConfig grid, AwqConfig awq, long maxTokens, Long maxTokensGiven, boolean awqGemm,
                          GridCheckpointFormat checkpoint, Bnb4BitType bnb, boolean doubleQuant, List<GgufJob.Target> gguf, String formatName) {}

    /** What a run wrote: the checkpoint (at the options' output, unless the output is GGUF), the GGUF files, and the seconds in all. */
    public record Result(Options options, List<GgufJob.Written> gguf, double seconds) {}

    private AwqJob() {}

    /** {@code imatrix} gathers the pass's importance matrix for --imatrix-output and the GGUF files. */
    public static Result run(Options o, ImatrixGatherer imatrix, PrintStream log) {
        PassOptions pass = o.pass();
        GridConfig cfg = o.grid();
        List<GgufJob.Target> ggufOut = o.gguf();
        List<java.nio.file.Path> beside = new ArrayList<>();
        for (GgufJob.Target t : ggufOut) if (!t.output().equals(pass.output())) beside.add(t.output());
        pass.checkOutputs(beside);
        pass.requireHfFolder();
        long start = System.nanoTime();
        List<GgufJob.Written> gguf = List.of();
        try (LoadedModel loaded = ModelLoader.load(pass.model())) {
            LlamaModel llama = loaded.model();
            List<int[]> samples = pass.calibration().samples(Tokenizers.load(loaded.tokenizerDir()), CalibrationSampler.Style.AWQ);
            if (pass.calibration().sampling() == null || pass.calibration().sampling() == CalibrationSampler.Style.AWQ)
                // AutoAWQ's n_samples counts documents, which are then joined and cut: say so, or "16 -> 2" looks like a bug.
                log.printf(Locale.ROOT, "calibration: %d blocks of %d tokens, cut from the first %d documents joined (AutoAWQ's --nsamples counts documents)%n",
                        samples.size(), samples.getFirst().length, pass.calibration().nsamples());
            else log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
            AwqModelQuantizer awq = new AwqModelQuantizer(llama, cfg, o.bnb() != null ? new CodebookGrid(o.bnb().code()) : cfg.grid(), o.awq(), o.maxTokens());
            if (!ggufOut.isEmpty()) awq.keepFloatWeights();
            boolean wantImatrix = pass.imatrixOutput() != null || !ggufOut.isEmpty();
            ImportanceMatrix im = CalibrationPass.run(llama, samples, awq, "awq|" + cfg + "|" + o.awq() + "|" + o.maxTokensGiven()
                    + (o.bnb() != null ? "|" + o.bnb().jsonName() : "") + (ggufOut.isEmpty() ? "" : "|float"), wantImatrix ? imatrix : null, pass, log);
            log.print(awq.reportTable());
            long shard = SafetensorsWriter.DEFAULT_SHARD_BYTES;
            if (o.awqGemm()) awq.writeAwq(pass.model(), loaded.weights(), pass.output(), pass.replace(), shard);
            else if (o.bnb() != null)
                BnbQuantize.write(pass.model(), awq.withScaledTensors(loaded.weights()), awq.quantized(), o.bnb(), o.doubleQuant(), pass.output(), pass.replace());
            else if (o.checkpoint() != null)
                for (String w : awq.write(o.checkpoint(), pass.model(), loaded.weights(), pass.output(), pass.replace(), shard)) log.println("warning: " + w);
            if (!ggufOut.isEmpty()) {
                OverlayTensorSource scaled = new OverlayTensorSource(loaded.weights());
                for (var e : awq.floatWeights().entrySet()) {
                    long[] shape = loaded.weights().get(e.getKey()).shape();
                    scaled.replace(Tensor.ofFloats(e.getKey(), e.getValue(), shape));
                }
                for (Tensor t : awq.scaledTensors().values()) scaled.replace(t);
                gguf = GgufJob.writeAll(loaded.ggufSource(scaled), ggufOut, im.withInputScales(LlamaTensorNames.toGgufKeys(awq.inputScales())),
                        pass.replace());
            }
        }
        pass.deleteCheckpoints();
        return new Result(o, gguf, (System.nanoTime() - start) / 1e9);
    }
}
