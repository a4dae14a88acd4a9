package dev.calq.awq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.runner.LayerMethod;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * AWQ as a calibration-runner method. One stage per layer observing all four input sites (the references gather a
 * layer's inputs in one pass); the update searches and folds the scales, clips, and hands the layer to
 * {@link LayerDone} (quantize the block's projections there and keep them with the scaled norms for the writer).
 * The update returns false: the next layer's inputs are the outputs of this layer as it was, as in AutoAWQ
 * (the folded scales leave them unchanged; only the clamps would differ).
 */
public final class AwqMethod implements LayerMethod {
    /** Receives each finished layer: the block now holds scaled, clipped float weights and scaled norms. */
    @FunctionalInterface
    public interface LayerDone { void accept(int layer, AwqBlock block, AwqLayerSearch.Report report); }

    private final IntFunction<AwqBlock> blocks;
    private final WeightQuantizer quantizer;
    private final AwqConfig config;
    private final long maxTokensPerSite;
    private final long bytesPerToken;
    private final LayerDone done;
    private LayerInputs cache;

    /**
     * @param blocks           the AWQ view of decoder layer i of the runner's model
     * @param maxTokensPerSite bound on the cached tokens of one layer (see {@link LayerInputs})
     * @param siteWidthSum     hidden + heads*headDim + hidden + intermediate: floats cached per token
     */
    public AwqMethod(IntFunction<AwqBlock> blocks, WeightQuantizer quantizer, AwqConfig config, long maxTokensPerSite,
                     int siteWidthSum, LayerDone done) {
        this.blocks = blocks;
        this.quantizer = quantizer;
        this.config = config;
        this.maxTokensPerSite = maxTokensPerSite;
        this.bytesPerToken = 4L * siteWidthSum;
        this.done = done;
    }

    @Override public List<Set<InputSite>> stages() { return List.of(EnumSet.allOf(InputSite.class)); }

    @Override
    public LinearInputObserver observer(int layer, Set<InputSite> stage) {
        cache = new LayerInputs(layer, maxTokensPerSite);
        return cache;
    }

    @Override
    public boolean update(int layer, Set<InputSite> stage) {
        LayerInputs inputs = cache;
        cache = null;
        if (inputs == null || inputs.layer() != layer) throw new IllegalStateException("layer " + layer + ": no cached inputs");
        AwqBlock block = blocks.apply(layer);
        AwqLayerSearch.Report report = AwqLayerSearch.run(block, inputs, quantizer, config);
        done.accept(layer, block, report);
        return false;
    }

    /** The cached inputs of one layer, plus the search's copies of the largest group's weights and outputs. */
    @Override
    public long workingBytes(int tokensTotal) {
        return bytesPerToken * Math.min(tokensTotal, maxTokensPerSite) * 3 / 2;
    }
}
