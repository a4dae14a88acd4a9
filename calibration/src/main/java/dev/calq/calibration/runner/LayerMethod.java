package dev.calq.calibration.runner;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LinearInputObserver;
import dev.calq.calibration.model.PairedInputObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A calibration method seen by the runner: an observer of projection inputs plus a weight update per layer.
 * GPTQ gathers Hessians and replaces weights with quantized ones; AWQ caches inputs, searches scales and folds
 * them; the importance matrix only observes.
 */
public interface LayerMethod {
    /**
     * The stages of every layer, in order. The inputs of a stage's sites are observed with the weights of earlier
     * stages already updated (GPTQ's true-sequential mode uses one stage per site group; one stage with every site
     * observes the layer as it was).
     */
    List<Set<InputSite>> stages();

    /** The observer for one stage of a layer (null: nothing to observe). */
    LinearInputObserver observer(int layer, Set<InputSite> stage);

    /**
     * Called once every sample has passed through a stage. Returns true when it changed the layer's weights,
     * so that the runner recomputes the layer's outputs with the new weights.
     */
    boolean update(int layer, Set<InputSite> stage);

    /**
     * Whether the runner should also carry the full-precision model's hidden states (a second stream through every
     * layer with its original weights) and hand {@link #pairedObserver} each sample's pair of inputs. It costs a
     * second set of hidden states and about two more layer passes, so only methods that use it ask.
     */
    default boolean wantsFullPrecisionInputs() { return false; }

    /**
     * With {@link #wantsFullPrecisionInputs}: receives each sample's (full-precision, quantized-model) input pair at
     * the stage's sites, after {@link #observer} has seen the quantized one (null: nothing to pair).
     */
    default PairedInputObserver pairedObserver(int layer, Set<InputSite> stage) { return null; }

    /**
     * The embeddings the quantized model's stream starts from (null: the model's own, which the full-precision
     * stream always uses), e.g. the token embedding as the output file will store it.
     */
    default float[] quantizedEmbedding(int[] tokens) { return null; }

    /** Bytes the method holds per layer while it runs (Hessians, cached inputs), for the memory estimate. */
    default long workingBytes(int tokensTotal) { return 0; }

    /** Saves what the method produced for a finished layer (for --resume). Must be deterministic. */
    default void saveLayer(int layer, Path dir) throws IOException {}

    /** Restores a finished layer saved by {@link #saveLayer}, re-applying its weights to the model. */
    default void loadLayer(int layer, Path dir) throws IOException {}
}
