package dev.calq.imatrix;

import dev.calq.calibration.eval.PerplexityEvaluator;
import dev.calq.calibration.eval.PerplexityMethod;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.formats.gguf.llama.LlamaTensorNames;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gathers an importance matrix as llama-imatrix does: the text cut into consecutive chunks of ctx tokens, each
 * starting with BOS, run through the whole model while the statistics of every projection input are summed; the
 * running perplexity over the second half of each chunk is the same number llama-imatrix prints.
 */
public final class ImatrixCollection {
    public record Result(ImportanceMatrix matrix, PerplexityEvaluator.Result perplexity) {}

    private ImatrixCollection() {}

    public static Result collect(LlamaModel model, int[] tokens, int bosId, int ctx, int chunks, List<String> datasets,
                                 PerplexityEvaluator.Progress progress) {
        ImatrixObserver observer = new ImatrixObserver();
        PerplexityEvaluator.Result ppl = PerplexityEvaluator.evaluate(model, tokens, bosId, PerplexityMethod.LLAMA, ctx, chunks,
                null, null, progress, observer);
        return new Result(toImportanceMatrix(observer, model.numLayers(), chunks, ctx, datasets), ppl);
    }

    /** The observer's statistics under llama.cpp's tensor names, as the GGUF imatrix format stores them. */
    public static ImportanceMatrix toImportanceMatrix(ImatrixObserver observer, int layers, int chunkCount, int chunkSize,
                                                      List<String> datasets) {
        Map<String, ImportanceMatrix.Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, ActivationStats> e : observer.byWeightName(layers).entrySet()) {
            ActivationStats s = e.getValue();
            entries.put(LlamaTensorNames.toGguf(e.getKey()), ImportanceMatrix.Entry.of(toFloats(s.sumSq()), toFloats(s.sum()), s.count()));
        }
        return new ImportanceMatrix(entries, chunkCount, chunkSize, datasets);
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
