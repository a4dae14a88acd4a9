package dev.calq.gptq;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.runner.CalibrationPass;
import dev.calq.calibration.runner.ChainedMethod;
import dev.calq.calibration.runner.ScalingMethod;
import dev.calq.calibration.runner.ImatrixGatherer;
import dev.calq.calibration.runner.PassOptions;
import dev.calq.datasets.CalibrationSampler;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.CalqException;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.formats.bnb.BnbQuantize;
import dev.calq.formats.gguf.llama.GgufJob;
import dev.calq.formats.imatrix.ImportanceMatrix;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.OverlayTensorSource;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * {@code calq quantize --method gptq|rtn} into a checkpoint: GPTQ or RTN layer by layer (RTN without calibration text
 * rounds every projection directly), written as a GPTQ v1/v2 or compressed-tensors checkpoint, or onto the NF4/FP4
 * code as a bitsandbytes one; GGUF files of the original weights beside it, with the pass's importance matrix.
 */
public final class GptqJob {
    /**
     * @param checkpoint the grid checkpoint layout (null with {@code bnb})
     * @param bnb        bitsandbytes' 4-bit type for an NF4/FP4 checkpoint (null: a grid checkpoint); {@code config}'s grid is then 4-bit blocks of 64
     * @param alsoGguf   GGUF files written beside the checkpoint
     * @param formatName the output format as the command spells it, for the summary line
     * @param scaling    a method that re-parameterises each layer before GPTQ quantizes it (AWQ's scales for
     *                   {@code --method awq+gptq}), made for the loaded model; null: none
     */
    public record Options(PassOptions pass, GptqMethod.Algorithm algorithm, GptqConfig config, boolean compareRtn,
                          GridCheckpointFormat checkpoint, Bnb4BitType bnb, boolean doubleQuant, List<GgufJob.Target> alsoGguf,
                          String formatName, ScalingMethod.Factory scaling) {
        public Options(PassOptions pass, GptqMethod.Algorithm algorithm, GptqConfig config, boolean compareRtn, GridCheckpointFormat checkpoint,
                       Bnb4BitType bnb, boolean doubleQuant, List<GgufJob.Target> alsoGguf, String formatName) {
            this(pass, algorithm, config, compareRtn, checkpoint, bnb, doubleQuant, alsoGguf, formatName, null);
        }
    }

    /** What a run wrote: the checkpoint (at the options' output), the GGUF files beside it, and the seconds in all. */
    public record Result(Options options, List<GgufJob.Written> gguf, double seconds) {}

    private GptqJob() {}

    /** {@code imatrix} gathers the pass's importance matrix for --imatrix-output and the GGUF files beside the checkpoint. */
    public static Result run(Options o, ImatrixGatherer imatrix, PrintStream log) {
        PassOptions pass = o.pass();
        GptqConfig cfg = o.config();
        String method = (o.scaling() != null ? "awq+" : "") + o.algorithm().name().toLowerCase(Locale.ROOT);
        if (o.scaling() != null && (o.algorithm() != GptqMethod.Algorithm.GPTQ || o.bnb() != null || pass.imatrixOutput() != null || !o.alsoGguf().isEmpty()))
            throw new CalqException("--method awq+gptq writes a GPTQ or compressed-tensors checkpoint or (--format gguf) one GGUF file; "
                    + "--imatrix-output, --also-gguf and --format nf4 do not apply to it");
        pass.checkOutputs(o.alsoGguf().stream().map(GgufJob.Target::output).toList());
        pass.requireHfFolder();
        long start = System.nanoTime();
        List<GgufJob.Written> gguf = List.of();
        try (LoadedModel loaded = ModelLoader.load(pass.model())) {
            LlamaModel llama = loaded.model();
            GptqMethod gptq = new GptqMethod(llama, cfg, o.algorithm(), o.compareRtn(), log);
            if (o.bnb() != null) gptq.withGrid(new CodebookGrid(o.bnb().code()));
            ImportanceMatrix im = null;
            ScalingMethod scaling = o.scaling() != null ? o.scaling().create(llama, llama) : null;
            TensorSource plain = loaded.weights();
            if (o.algorithm() == GptqMethod.Algorithm.RTN && !pass.calibration().given()) {
                RtnWithoutCalibration.quantizeAll(llama, cfg.grid(), gptq);
            } else {
                List<int[]> samples = pass.calibration().samples(Tokenizers.load(loaded.tokenizerDir()), CalibrationSampler.Style.GPTQ);
                log.printf(Locale.ROOT, "calibration: %d samples of %d tokens%n", samples.size(), samples.getFirst().length);
                boolean wantImatrix = pass.imatrixOutput() != null || !o.alsoGguf().isEmpty();
                im = CalibrationPass.run(llama, samples, scaling != null ? new ChainedMethod(scaling, gptq) : gptq,
                        (scaling != null ? scaling.describe() + "|" : "") + "gptq|" + cfg + "|" + o.algorithm() + "|" + o.compareRtn()
                        + (o.bnb() != null ? "|" + o.bnb().jsonName() : ""), wantImatrix ? imatrix : null, pass, log);
                if (scaling != null) {
                    log.print(scaling.report());
                    plain = withReplaced(loaded.weights(), scaling);
                }
                log.print(gptq.errorTable());
                log.println(gptq.phaseLine());
            }
            List<String> warnings = o.bnb() != null
                    ? BnbQuantize.write(pass.model(), loaded.weights(), gptq.quantized(), o.bnb(), o.doubleQuant(), pass.output(), pass.replace())
                    : o.checkpoint().write(pass.model(), plain, gptq.quantized(), cfg.checkpointConfig(),
                            SafetensorsWriter.DEFAULT_SHARD_BYTES, pass.output(), pass.replace());
            for (String w : warnings) log.println("warning: " + w);
            if (!o.alsoGguf().isEmpty()) {
                // The GGUF files beside a checkpoint hold the original weights, quantized by the mix with this
                // pass's importance matrix; GPTQ inside the block types needs its own pass (--format gguf).
                log.println("note: --also-gguf after " + method + " writes the original weights (llama-quantize's rounding"
                        + (im != null ? " with this run's importance matrix" : "") + "); for GPTQ inside the ggml block types run --method gptq --format gguf");
                gguf = GgufJob.writeAll(loaded.ggufSource(loaded.weights()), o.alsoGguf(), im, pass.replace());
            }
        }
        pass.deleteCheckpoints();
        return new Result(o, gguf, (System.nanoTime() - start) / 1e9);
    }

    /** {@code source} with the tensors a scaling method replaced (AWQ's scaled norms and biases) laid over it. */
    static TensorSource withReplaced(TensorSource source, ScalingMethod scaling) {
        OverlayTensorSource over = new OverlayTensorSource(source);
        for (Tensor t : scaling.replacedTensors().values()) over.replace(t);
        return over;
    }
}
