package dev.calq.gptq;

import dev.calq.formats.CalqException;
import java.util.Locale;

/**
 * What GPTQ inside the GGUF types fits each projection to, with X the full-precision model's inputs at the site and
 * X~ the quantized model's (the earlier sites and layers quantized); docs/algorithms.md, "What GPTQ fits".
 *
 * @param fit             the objective
 * @param shrink          with {@link Fit#FULL_PRECISION}: the fraction of the weight shift applied (1: the exact minimiser)
 * @param shiftDamp       with {@link Fit#FULL_PRECISION}: the damping fraction of the solve in the shift, (H + shiftDamp
 *                        mean(diag H) I)^-1 (0: GPTQ's own --damp and factor)
 * @param storedEmbedding start the quantized model's stream from token_embd as the file stores it (its mix type and
 *                        the writer's search, decoded), not from the original embedding
 */
public record GptqTarget(Fit fit, double shrink, double shiftDamp, boolean storedEmbedding) {
    public enum Fit {
        /**
         * ||(W - Q) X||: the Hessian from the full-precision model's own inputs; no site sees the quantization of
         * the earlier ones (what calq's GGUF GPTQ did before this choice existed: its runner read an unquantized copy).
         */
        FP_INPUTS,
        /** ||(W - Q) X~||: sequential GPTQ, each site observed with everything before it quantized. */
        QUANTIZED_INPUTS,
        /** ||W X - Q X~||: asymmetric, the quantized model's inputs fitted to the full-precision model's outputs. */
        FULL_PRECISION;

        public String option() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        public static Fit parse(String s) {
            for (Fit f : values()) if (f.option().equals(s)) return f;
            throw new CalqException("--gptq-target " + s + ": expected fp-inputs, quantized-inputs or full-precision");
        }
    }

    /** The default: half the asymmetric shift (docs/quality.md, "What GPTQ fits"), the original embedding. */
    public static final GptqTarget DEFAULT = new GptqTarget(Fit.FULL_PRECISION, 0.5, 0, false);

    /** What calq's GGUF GPTQ did before this choice existed: the full-precision model's inputs, the original embedding. */
    public static final GptqTarget FP_INPUTS = new GptqTarget(Fit.FP_INPUTS, 1, 0, false);

    public GptqTarget {
        if (!(shrink >= 0 && shrink <= 2)) throw new CalqException("--gptq-target-shrink " + shrink + ": expected a value in [0, 2]");
        if (!(shiftDamp >= 0 && shiftDamp <= 10)) throw new CalqException("--gptq-target-damp " + shiftDamp + ": expected a value in [0, 10]");
        if (storedEmbedding && fit == Fit.FP_INPUTS)
            throw new CalqException("--gptq-embedding stored needs a quantized stream: --gptq-target quantized-inputs or full-precision");
    }

    /** Whether the calibration runner runs the model being quantized (else an unquantized copy of it). */
    public boolean runsQuantizedModel() { return fit != Fit.FP_INPUTS; }

    @Override public String toString() { return fit.option() + (fit == Fit.FULL_PRECISION ? "@" + shrink + (shiftDamp > 0 ? "/damp" + shiftDamp : "") : "") + (storedEmbedding ? "+stored-embedding" : ""); }
}
