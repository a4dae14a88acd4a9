package dev.calq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.calibration.eval.EvalJob;
import dev.calq.calibration.eval.KlDivergence;
import dev.calq.calibration.eval.PerplexityEvaluator;
import java.io.PrintWriter;
import java.util.Locale;

/** What {@code calq eval} prints of its job's result. */
final class EvalLines {
    private EvalLines() {}

    /** The summary lines (KL divergence first when measured), or one JSON object with --json. */
    static void print(PrintWriter out, EvalJob.Result result) {
        EvalJob.Options opts = result.options();
        PerplexityEvaluator.Result r = result.result();
        int tokenCount = result.textTokens();
        double loadSeconds = result.loadSeconds(), tokenizeSeconds = result.tokenizeSeconds();
        KlDivergence.Summary kl = r.kl();
        if (opts.json()) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.put("model", opts.model().toString()).put("text", opts.text().toString()).put("method", r.method().cliName()).put("ctx", r.ctx())
                    .put("chunks", r.windows()).put("ppl", r.ppl()).put("ppl_uncertainty", r.pplUncertainty())
                    .put("tokens_scored", r.tokensScored()).put("tokens_processed", r.tokensProcessed()).put("text_tokens", tokenCount)
                    .put("seconds", r.seconds()).put("tokens_per_second", r.tokensPerSecond())
                    .put("load_seconds", loadSeconds).put("tokenize_seconds", tokenizeSeconds);
            if (kl != null) {
                ObjectNode k = o.putObject("kl_divergence");
                k.put("base", opts.klBase().toString()).put("positions", kl.positions()).put("mean", kl.mean()).put("mean_uncertainty", kl.meanUncertainty())
                        .put("median", kl.median()).put("p99", kl.p99()).put("max", kl.max())
                        .put("same_top", kl.sameTop()).put("same_top_uncertainty", kl.sameTopUncertainty()).put("base_ppl", kl.basePpl());
            }
            out.println(o.toString());
            out.flush();
            return;
        }
        if (kl != null) {
            out.printf(Locale.ROOT, "PPL(base)  : %.4f%n", kl.basePpl());
            out.printf(Locale.ROOT, "Mean KLD   : %.6f +/- %.6f%n", kl.mean(), kl.meanUncertainty());
            out.printf(Locale.ROOT, "99.0%% KLD  : %.6f   (median %.6f, max %.6f)%n", kl.p99(), kl.median(), kl.max());
            out.printf(Locale.ROOT, "Same top p : %.3f +/- %.3f %%%n", 100 * kl.sameTop(), 100 * kl.sameTopUncertainty());
        }
        out.printf(Locale.ROOT, "PPL = %.4f +/- %.5f over %d tokens (%s method, %d chunks of %d) in %.1f s, %.0f tok/s%n",
                r.ppl(), r.pplUncertainty(), r.tokensScored(), r.method().cliName(), r.windows(), r.ctx(), r.seconds(), r.tokensPerSecond());
        out.flush();
    }
}
