package dev.calq.formats.quantized;

/**
 * The hook by which GPTQ's column loop rounds one weight [out x in] to a storage encoding, so that the same error
 * feedback works for the integer group grid of GPTQ/AWQ checkpoints and for llama.cpp's ggml block types.
 *
 * <p>GPTQ visits the input columns in its quantization order (the Hessian's act-order permutation, or 0..in-1) and
 * hands the encoder its working copy {@code w} of the weight, row-major [out x in] with the columns in that order.
 * The columns split into consecutive <em>scale blocks</em> of {@link #blockColumns()} positions (a group of the
 * integer grid; a ggml block of 32 or a super-block of 256 along the row). The contract, per lazy batch of columns
 * [i1, i2):
 * <ol>
 *   <li>for every scale block whose first position s lies in [i1, i2), in increasing s, the loop calls
 *       {@link #chooseScales(float[], int, int) chooseScales(w, in, s)}: {@code w} then holds the weights as updated
 *       by every earlier batch (this batch's updates not yet applied), and the encoder fixes that block's scales
 *       (and mins, sub-block scales...) from positions [s, s + blockColumns()) of every row;</li>
 *   <li>for each position p in [i1, i2) and each row r (rows run in parallel, positions in increasing order within
 *       a row), the loop calls {@link #round(int, int, float) round(r, p, x)} with the error-updated value x; the
 *       encoder returns the value the stored weight will have with the block's fixed scales, and records its
 *       code; the loop propagates x - round(...) onto the later columns.</li>
 * </ol>
 * The {@code w} handed to chooseScales is the loop's working array itself: when {@code round(r, p, x)} is called,
 * positions [p, end of the batch) of row r hold their values updated by every column before p, so an encoder whose
 * code spans several positions (a codebook point of 4 or 8 weights) may read the group's later positions at its
 * first one, choose the group's code jointly, and return the chosen values for the rest of the group.
 * After the last column the loop calls {@link #finish()} once. An encoder that fixes its scales some other way
 * (GPTQ's static groups, one group per row) may ignore chooseScales. Calls to {@code round} for different rows come
 * from different threads at once and must only touch per-row state; chooseScales is never concurrent with round.
 *
 * <p>A ggml block type (one ggml block = one scale block) fits this contract when the quantization order is the
 * natural one (no act-order, whose permuted columns would not form llama.cpp's contiguous blocks) and the lazy batch
 * length is a multiple of the block length.
 *
 * @param <R> the encoded tensor (e.g. {@link QuantizedLinear})
 */
public interface ColumnEncoder<R> {
    /** Positions per scale block; in must be a multiple of it. */
    int blockColumns();

    /** Fixes the scales of the scale block starting at position {@code start} from {@code w} ([out x in], quantization order). */
    void chooseScales(float[] w, int in, int start);

    /** The stored value of weight [row][position] for the error-updated value {@code x}; records its code. */
    float round(int row, int position, float x);

    /** The encoded tensor, columns back in natural order. */
    R finish();
}
