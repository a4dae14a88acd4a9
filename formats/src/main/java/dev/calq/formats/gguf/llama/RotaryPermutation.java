package dev.calq.formats.gguf.llama;

/**
 * Reorders q/k projection rows from Hugging Face's rotate-half rotary layout (each head: first the real parts of
 * all pairs, then the imaginary parts) to the interleaved pairs llama.cpp's normal rope expects — the converter's
 * LlamaModel.permute. Row (head h, half i, index j) moves to (head h, index j, half i); {@link #unpermuteRows}
 * moves it back, so that a GGUF file read for evaluation runs in the Hugging Face layout again.
 */
final class RotaryPermutation {
    private RotaryPermutation() {}

    /** Permutes {@code rows} rows of {@code cols} floats in place, for {@code heads} heads. */
    static void permuteRows(float[] data, int rows, int cols, int heads) { move(data, rows, cols, heads, true); }

    /** The exact inverse of {@link #permuteRows}: llama.cpp's interleaved pairs back to rotate-half order. */
    static void unpermuteRows(float[] data, int rows, int cols, int heads) { move(data, rows, cols, heads, false); }

    private static void move(float[] data, int rows, int cols, int heads, boolean toGguf) {
        if (rows % (2 * heads) != 0) throw new IllegalArgumentException(rows + " rows do not split into " + heads + " heads of pairs");
        int headDim = rows / heads, half = headDim / 2;
        float[] head = new float[headDim * cols];
        for (int h = 0; h < heads; h++) {
            int base = h * headDim * cols;
            System.arraycopy(data, base, head, 0, head.length);
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < half; j++) {
                    int hfRow = i * half + j, ggufRow = j * 2 + i;
                    int src = (toGguf ? hfRow : ggufRow) * cols;
                    int dst = base + (toGguf ? ggufRow : hfRow) * cols;
                    System.arraycopy(head, src, data, dst, cols);
                }
            }
        }
    }
}
