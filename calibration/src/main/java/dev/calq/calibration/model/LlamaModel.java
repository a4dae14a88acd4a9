package dev.calq.calibration.model;

import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelConfig;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder of LlamaForCausalLM and its relatives (Mistral, Qwen2 with q/k/v bias, Qwen3 with q/k norm):
 * token embeddings, the decoder layers, the final norm and lm_head (tied to the embeddings or not). Weights stay
 * in their file dtype (memory-mapped views); computation is float32. One call processes whole sequences.
 */
public final class LlamaModel implements LayerwiseModel {
    private final ModelConfig config;
    private Tensor embeddings;
    private final List<DecoderLayer> layers;
    private final RmsNorm finalNorm;
    private final Linear lmHead;
    private final String origin;

    private LlamaModel(ModelConfig config, Tensor embeddings, List<DecoderLayer> layers, RmsNorm finalNorm, Linear lmHead, String origin) {
        this.origin = origin;
        this.config = config;
        this.embeddings = embeddings;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
    }

    /**
     * Builds the model over {@code source}'s tensors (Hugging Face names), checking every shape against
     * {@code config}. {@code origin} names the model in error messages (its folder or file).
     */
    public static LlamaModel load(ModelConfig config, TensorSource source, String origin) {
        WeightReader r = new WeightReader(source, origin);
        long vocab = config.vocabSize(), h = config.hiddenSize();
        Tensor embed = r.tensor("model.embed_tokens.weight", vocab, h);
        if (source.contains(Projection.Q.weightName(config.numLayers())))
            throw new CalqException(origin + ": the checkpoint has more than the " + config.numLayers() + " layers config.json declares");
        Rope rope = new Rope(config.headDim(), config.ropeTheta(), config.ropeScaling());
        String ropeFreqs = dev.calq.formats.gguf.llama.GgufTensorSource.ROPE_FREQS;
        if (source.contains(ropeFreqs)) {
            float[] factors = r.floats(ropeFreqs, config.headDim() / 2);
            for (int i = 0; i < factors.length; i++)
                if (!(factors[i] > 0)) throw new CalqException(origin + ": tensor " + ropeFreqs + " has factor " + factors[i] + " at index " + i + "; rope factors must be positive");
            rope = new Rope(config.headDim(), config.ropeTheta(), config.ropeScaling(), factors);
        }
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) layers.add(DecoderLayer.load(r, config, i, rope));
        RmsNorm norm = new RmsNorm(r.floats("model.norm.weight", h), config.rmsNormEps());
        Linear head;
        if (config.tieWordEmbeddings() && !source.contains("lm_head.weight")) head = new Linear("lm_head.weight", embed, null);
        else head = new Linear("lm_head.weight", r.tensor("lm_head.weight", vocab, h), null);
        return new LlamaModel(config, embed, List.copyOf(layers), norm, head, origin);
    }

    public ModelConfig config() { return config; }

    /** The folder or file the weights came from, for error messages. */
    public String origin() { return origin; }

    public List<DecoderLayer> layers() { return layers; }

    public DecoderLayer layer(int i) { return layers.get(i); }

    public RmsNorm finalNorm() { return finalNorm; }

    public Linear lmHead() { return lmHead; }

    public Tensor embeddings() { return embeddings; }

    /** Replaces the token embeddings (same [vocab x hidden] shape), e.g. to measure what quantizing them costs. */
    public void setEmbeddings(Tensor e) {
        if (e.rank() != 2 || e.dim(0) != embeddings.dim(0) || e.dim(1) != embeddings.dim(1))
            throw new IllegalArgumentException("embeddings of shape " + java.util.Arrays.toString(e.shape()) + " where "
                    + java.util.Arrays.toString(embeddings.shape()) + " are expected");
        embeddings = e;
    }

    public int vocabSize() { return config.vocabSize(); }

    @Override public int hiddenSize() { return config.hiddenSize(); }

    @Override public int numLayers() { return layers.size(); }

    /** Runs layer {@code layer} on one sequence; {@code hidden} is left unchanged unless it is {@code out}. */
    @Override public void runLayer(int layer, float[] hidden, int tokens, float[] out, LinearInputObserver observer) {
        if (out != hidden) System.arraycopy(hidden, 0, out, 0, tokens * config.hiddenSize());
        layers.get(layer).forward(out, 1, tokens, 0, observer);
    }

    @Override public void observeLayer(int layer, float[] hidden, int tokens, float[] scratch, LinearInputObserver observer, InputSite last) {
        System.arraycopy(hidden, 0, scratch, 0, tokens * config.hiddenSize());
        layers.get(layer).forwardUntil(scratch, 1, tokens, 0, observer, last);
    }

    @Override public int outFeatures(Projection p) { return layers.getFirst().linear(p).outFeatures(); }

    @Override public int inFeatures(Projection p) { return layers.getFirst().linear(p).inFeatures(); }

    @Override public float[] weight(int layer, Projection p) { return layers.get(layer).weights(p); }

    @Override public void setWeight(int layer, Projection p, float[] weight) { layers.get(layer).setWeight(p, weight); }

    /** Installs a view that dequantizes row blocks as the kernels read them: no float32 copy stays on the heap. */
    @Override public void setWeight(int layer, Projection p, dev.calq.formats.quantized.QuantizedLinear q) {
        layers.get(layer).setWeight(p, new dev.calq.calibration.kernels.QuantizedWeights(q));
    }

    /** References to the kernels' current weight matrices: no copy (installed matrices are never modified in place). */
    @Override public WeightSnapshot snapshotWeights(int layer) {
        java.util.EnumMap<Projection, dev.calq.calibration.kernels.WeightMatrix> w = new java.util.EnumMap<>(Projection.class);
        for (Projection p : Projection.values()) w.put(p, layers.get(layer).linear(p).matrix());
        return new WeightSnapshot(w);
    }

    @Override public void restoreWeights(int layer, WeightSnapshot snapshot) {
        for (var e : snapshot.weights().entrySet())
            layers.get(layer).setWeight(e.getKey(), (dev.calq.calibration.kernels.WeightMatrix) e.getValue());
    }

    @Override public long layerWeightBytes(int layer) {
        long n = 0;
        for (Projection p : Projection.values()) n += (long) outFeatures(p) * inFeatures(p);
        return 4 * (n + 2L * config.hiddenSize());
    }

    /** q, k, v, attention output, MLP gate and up, the normed input, two residual-sized outputs, per-head scratch. */
    @Override public long activationBytes(int tokens) {
        ModelConfig c = config;
        long floats = (long) tokens * (2L * c.qDim() + 2L * c.kvDim() + 2L * c.intermediateSize() + 3L * c.hiddenSize())
                + (long) c.numHeads() * tokens * (c.headDim() + 1);
        return 4 * floats;
    }

    /** Embedding rows of {@code tokens}: [tokens.length x hidden]. */
    @Override public float[] embed(int[] tokens) {
        int h = config.hiddenSize();
        float[] out = new float[tokens.length * h];
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= config.vocabSize())
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + config.vocabSize());
            embeddings.copyFloats((long) id * h, out, t * h, h);
        }
        return out;
    }

    /** Runs every layer in place on [batch * tokens x hidden] hidden states (observer may be null). */
    public void runLayers(float[] hidden, int batch, int tokens, LinearInputObserver observer) {
        for (DecoderLayer layer : layers) layer.forward(hidden, batch, tokens, 0, observer);
    }

    /**
     * Logits of rows {@code fromRow .. rows-1} of the last layer's output: final norm and lm_head, returned as
     * [(rows - fromRow) x vocab]. Evaluation asks only for the rows it scores.
     */
    public float[] logits(float[] hidden, int rows, int fromRow) {
        return logits(hidden, 1, rows, fromRow);
    }

    /**
     * The same for {@code batch} sequences of {@code tokens} rows each, [batch * tokens x hidden]: rows fromRow..
     * of every sequence, returned as [batch * (tokens - fromRow) x vocab], sequence after sequence.
     */
    public float[] logits(float[] hidden, int batch, int tokens, int fromRow) {
        int h = config.hiddenSize(), n = tokens - fromRow;
        float[] normed = new float[batch * n * h];
        for (int b = 0; b < batch; b++)
            for (int r = 0; r < n; r++) {
                int o = (b * n + r) * h;
                System.arraycopy(hidden, (b * tokens + fromRow + r) * h, normed, o, h);
                finalNorm.applyRow(normed, normed, o);
            }
        float[] out = new float[batch * n * config.vocabSize()];
        lmHead.apply(normed, batch * n, out);
        return out;
    }

    /** Logits of every position of one sequence: [tokens.length x vocab]. */
    public float[] forward(int[] tokens) { return forward(tokens, 0); }

    /** Logits of positions {@code fromRow..} of one sequence, the whole sequence being processed at once. */
    public float[] forward(int[] tokens, int fromRow) { return forward(tokens, fromRow, null); }

    /** As {@link #forward(int[], int)}, with an observer of every projection input (the importance matrix uses it). */
    public float[] forward(int[] tokens, int fromRow, LinearInputObserver observer) {
        return forward(new int[][] {tokens}, fromRow, observer);
    }

    /**
     * Logits of positions {@code fromRow..} of several sequences of equal length, run through the model together
     * (each attending to itself only): [sequences.length * (length - fromRow) x vocab], sequence after sequence.
     * One pass reads and widens every weight once for all of them. Each row's values are exactly those of its
     * sequence run alone: every step is row by row or within one sequence, and a matmul row's result does not
     * depend on the other rows (for products of at least six rows; fewer take the dot-product path). Without an
     * observer, the last layer's feed-forward block runs only on the rows whose logits are asked for.
     */
    public float[] forward(int[][] sequences, int fromRow, LinearInputObserver observer) {
        int batch = sequences.length, tokens = sequences[0].length;
        if (fromRow < 0 || fromRow >= tokens) throw new IllegalArgumentException("fromRow " + fromRow + " outside 0.." + (tokens - 1));
        int[] all = new int[batch * tokens];
        for (int b = 0; b < batch; b++) {
            if (sequences[b].length != tokens)
                throw new IllegalArgumentException("sequence " + b + " has " + sequences[b].length + " tokens, sequence 0 has " + tokens);
            System.arraycopy(sequences[b], 0, all, b * tokens, tokens);
        }
        float[] hidden = embed(all);
        if (observer != null || fromRow == 0) {
            runLayers(hidden, batch, tokens, observer);
            return logits(hidden, batch, tokens, fromRow);
        }
        for (int l = 0; l < layers.size() - 1; l++) layers.get(l).forward(hidden, batch, tokens, 0, null);
        float[] kept = layers.getLast().forwardKeeping(hidden, batch, tokens, fromRow);
        return logits(kept, batch, tokens - fromRow, 0);
    }
}
