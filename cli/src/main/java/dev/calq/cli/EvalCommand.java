package dev.calq.cli;

import dev.calq.calibration.eval.EvalJob;
import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.formats.CalqException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code calq eval}: perplexity of a model over a text file, and KL divergence against a base model's saved run. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Perplexity of a model over a text file (e.g. wikitext-2 wiki.test.raw).",
                "Methods: llama = llama.cpp's llama-perplexity (chunks of --ctx tokens, BOS first, second half scored);",
                "gptq = the GPTQ/AWQ papers' (consecutive windows of --ctx tokens, every token scored).",
                "--save-logits stores the scored positions' log-probabilities (64 KB each at a 32k vocabulary);",
                "--kl-divergence compares another model against such a file."})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model folder (Hugging Face safetensors, GPTQ, AWQ) or .gguf file.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Take the tokenizer from this folder (or GGUF file) instead of the model's.")
    Path tokenizerPath;

    @Option(names = "--text", required = true, description = "UTF-8 text file to score.")
    Path text;

    @Mixin ChunkOptions chunking = new ChunkOptions();

    @Option(names = "--method", defaultValue = "llama", description = "llama or gptq (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of the summary line.")
    boolean json;

    @Option(names = "--save-logits", paramLabel = "FILE", description = "Save the log-probabilities of the scored positions.")
    Path saveLogits;

    @Option(names = "--kl-divergence", paramLabel = "FILE", description = "Compare with log-probabilities saved by --save-logits.")
    Path klBase;

    @Option(names = "--overwrite", description = "Replace an existing --save-logits file.")
    boolean overwrite;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        PerplexityMethod m = parseMethod(method);
        chunking.check();
        EvalLines.print(spec.commandLine().getOut(), EvalJob.run(new EvalJob.Options(model, tokenizerPath, text, chunking.ctx, chunking.count(), m,
                json, saveLogits, klBase, overwrite), spec.commandLine().getErr()));
        return 0;
    }

    private static PerplexityMethod parseMethod(String s) {
        for (PerplexityMethod m : PerplexityMethod.values()) if (m.cliName().equals(s)) return m;
        throw new CalqException("--method " + s + ": expected llama or gptq");
    }
}
