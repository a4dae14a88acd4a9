package dev.calq.formats.tensor;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.calq.formats.CalqException;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FiniteTest {
    private static Tensor encoded(DType dtype, float[] v, long... shape) {
        if (dtype == DType.F32) return Tensor.ofFloats("w", v, shape);
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * v.length]);
        for (int i = 0; i < v.length; i++) {
            short bits = dtype == DType.BF16 ? (short) (Float.floatToRawIntBits(v[i]) >>> 16) : Float.floatToFloat16(v[i]);
            seg.set(Tensor.I16, 2L * i, bits);
        }
        return new Tensor("w", dtype, shape, seg);
    }

    /** The bit test against Float.isFinite of the decoded values, on random data with specials planted at odd sizes. */
    @Test void findsTheFirstNonFiniteElementInEveryFloatEncoding() {
        Random rnd = new Random(5);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            for (int trial = 0; trial < 200; trial++) { // sizes around and past the vector widths (16-64 lanes)
                int rows = 1 + rnd.nextInt(7), cols = 1 + rnd.nextInt(101);
                float[] v = new float[rows * cols];
                for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 100);
                int specialsPlanted = rnd.nextInt(4); // none, or up to three: the first one must be found
                for (int p = 0; p < specialsPlanted; p++) {
                    float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                    v[rnd.nextInt(v.length)] = specials[rnd.nextInt(3)];
                }
                Tensor t = encoded(dtype, v, rows, cols);
                long expected = -1;
                for (int i = 0; i < v.length && expected < 0; i++) if (!Float.isFinite(t.getFloat(i))) expected = i;
                assertEquals(expected, Finite.firstNonFinite(t), dtype + " trial " + trial);
            }
        }
    }

    @Test void theMessageNamesFileTensorRowAndColumn() {
        float[] v = new float[12];
        v[7] = Float.NaN;
        CalqException e = assertThrows(CalqException.class, () -> Finite.check(encoded(DType.BF16, v, 3, 4), "m/model.safetensors"));
        assertEquals("m/model.safetensors: tensor w has a NaN at row 1, column 3", e.getMessage());
        v[7] = 0;
        v[2] = Float.NEGATIVE_INFINITY;
        e = assertThrows(CalqException.class, () -> Finite.check(encoded(DType.F16, v, 12), "f"));
        assertEquals("f: tensor w has an infinity (-Infinity) at index 2", e.getMessage());
        v[2] = 0;
        assertDoesNotThrow(() -> Finite.check(encoded(DType.F32, v, 3, 4), "f"));
        float[] imp = {1, 2, Float.POSITIVE_INFINITY, 4};
        e = assertThrows(CalqException.class, () -> Finite.check(imp, 2, "im.gguf", "entry blk.0.ffn_up.weight"));
        assertEquals("im.gguf: entry blk.0.ffn_up.weight has an infinity (Infinity) at row 1, column 0", e.getMessage());
    }
}
