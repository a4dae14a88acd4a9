package dev.calq.formats.gguf.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Encoding a row block at a time gives the bytes of encoding the whole (rope-permuted) tensor at once, for every type. */
class RowBlockEncoderTest {
    private static Tensor bf16(Random rnd, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * rows * cols]);
        for (int i = 0; i < rows * cols; i++)
            seg.set(Tensor.I16, 2L * i, (short) (Float.floatToRawIntBits((float) (0.05 * rnd.nextGaussian())) >>> 16));
        return new Tensor("w", DType.BF16, new long[] {rows, cols}, seg);
    }

    private static byte[] streamed(Tensor t, GgmlType type, int heads, float[] imp, int blockFloats) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] parts = {0};
        RowBlockEncoder.encode(t, type, heads, imp, blockFloats, "m", part -> {
            out.writeBytes(part.toArray(ValueLayout.JAVA_BYTE));
            parts[0]++;
        });
        return out.toByteArray();
    }

    @Test
    void blocksGiveTheWholeTensorsBytesForEveryType() {
        Random rnd = new Random(4);
        int rows = 8, cols = 256, heads = 2; // 4 rows a head: blocks of 4 with a 2-row budget
        Tensor t = bf16(rnd, rows, cols);
        float[] imp = new float[cols];
        for (int i = 0; i < cols; i++) imp[i] = 0.1f + rnd.nextFloat();
        int types = 0;
        for (GgmlType type : GgmlType.values()) {
            if (!type.hasCodec() || cols % type.blockSize() != 0) continue;
            for (int h : new int[] {0, heads}) {
                float[] whole = t.toFloatArray();
                if (h > 0) RotaryPermutation.permuteRows(whole, rows, cols, h);
                float[] importance = type.blockSize() == 1 ? null : imp;
                byte[] want = Quantizers.quantize(type, whole, rows, cols, importance);
                assertArrayEquals(want, streamed(t, type, h, importance, 2 * cols), type + " heads " + h);
                assertArrayEquals(want, streamed(t, type, h, importance, 3 * cols), type + " heads " + h + ", uneven last block without rope");
            }
            types++;
        }
        assertTrue(types > 10, "codec types tried: " + types);
    }

    @Test
    void aNonFiniteWeightIsNamedAsTheWholeTensorCheckNamesIt() {
        Tensor t = bf16(new Random(5), 20, 32);
        t.data().set(Tensor.I16, 2L * (17 * 32 + 3), (short) 0x7FC0); // a NaN in the last block
        CalqException e = assertThrows(CalqException.class, () -> streamed(t, GgmlType.Q8_0, 0, null, 64));
        assertEquals("m: tensor w has a NaN at row 17, column 3", e.getMessage());
    }
}
