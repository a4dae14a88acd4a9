package dev.calq.formats.gguf.llama;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.tensor.Finite;
import dev.calq.formats.tensor.MappedPages;
import dev.calq.formats.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * Encodes a 2-D weight into a ggml type a block of rows at a time, straight from its stored (usually memory-mapped
 * bf16) form: the rows are widened to float32, moved to llama.cpp's rope order when the tensor is q or k, encoded
 * and handed on, and the pages they were read from are dropped. The heap holds one block in float32 and its
 * encoding, not the tensor (a 32,000 x 2,048 embedding is 250 MiB in float32). ggml's types encode rows
 * independently, so the bytes are those of encoding the whole tensor at once.
 */
final class RowBlockEncoder {
    /** Floats a block holds (16 MiB); at least one rope head of rows. */
    static final int BLOCK_FLOATS = 4 << 20;

    private RowBlockEncoder() {}

    /**
     * Encodes {@code t} ([rows, ne0] in Hugging Face order) as {@code type}, passing consecutive encoded row blocks to
     * {@code sink}. {@code ropeHeads} > 0 permutes each head's rows as {@link RotaryPermutation#permuteRows} does. A NaN
     * or infinity fails with {@link Finite#check(Tensor, String)}'s message naming {@code origin}.
     */
    static void encode(Tensor t, GgmlType type, int ropeHeads, float[] importance, int blockFloats, String origin, Consumer<MemorySegment> sink) {
        int ne0 = (int) t.dim(1);
        int rows = (int) t.dim(0);
        int unit = ropeHeads > 0 ? rows / ropeHeads : 1; // the permutation moves rows within a head only
        int block = Math.max(unit, blockFloats / ne0 / unit * unit);
        block = Math.min(block, rows);
        long rowBytes = type.rowBytes(ne0);
        int elementBytes = t.dtype().byteSize();
        float[] floats = new float[block * ne0];
        byte[] encoded = new byte[Math.toIntExact(block * rowBytes)];
        MemorySegment out = MemorySegment.ofArray(encoded);
        for (int r0 = 0; r0 < rows; r0 += block) {
            int n = Math.min(block, rows - r0);
            t.copyFloats((long) r0 * ne0, floats, 0, n * ne0);
            for (int i = 0; i < n * ne0; i++) if (!Float.isFinite(floats[i])) Finite.check(t, origin); // names the first one
            if (ropeHeads > 0) RotaryPermutation.permuteRows(floats, n, ne0, n / unit);
            Quantizers.quantize(type, floats, n, ne0, importance, out, 0);
            sink.accept(out.asSlice(0, n * rowBytes));
            MappedPages.release(t.data().asSlice((long) r0 * ne0 * elementBytes, (long) n * ne0 * elementBytes));
        }
    }
}
