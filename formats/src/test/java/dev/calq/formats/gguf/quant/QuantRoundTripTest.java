package dev.calq.formats.gguf.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Properties of every codec on random data: error bounds, stability, use of importance weights, API shape. */
class QuantRoundTripTest {
    private static final int ROWS = 5;
    private static final int COLS = 768; // 3 super-blocks, 24 blocks of 32

    /** Relative RMS error bounds on unit normals, about 1.5x what the types reach (llama.cpp's values). */
    private static final Map<GgmlType, Double> MAX_RELATIVE_RMSE = Map.ofEntries(
            Map.entry(GgmlType.F32, 0.0), Map.entry(GgmlType.F16, 4e-4), Map.entry(GgmlType.BF16, 3e-3),
            Map.entry(GgmlType.Q8_0, 0.009), Map.entry(GgmlType.Q6_K, 0.027), Map.entry(GgmlType.Q5_K, 0.055),
            Map.entry(GgmlType.Q5_0, 0.066), Map.entry(GgmlType.Q5_1, 0.06), Map.entry(GgmlType.Q4_K, 0.11),
            Map.entry(GgmlType.Q4_0, 0.13), Map.entry(GgmlType.Q4_1, 0.12), Map.entry(GgmlType.IQ4_NL, 0.12),
            Map.entry(GgmlType.IQ4_XS, 0.12), Map.entry(GgmlType.Q3_K, 0.23), Map.entry(GgmlType.Q2_K, 0.45));

    static float[] normals(long seed, int n, boolean skewedColumns) {
        Random r = new Random(seed);
        float[] colScale = new float[COLS];
        for (int j = 0; j < COLS; j++) colScale[j] = skewedColumns ? (float) Math.exp(r.nextGaussian()) : 1f;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian() * colScale[i % COLS];
        return x;
    }

    static double sumSq(float[] a, float[] b, float[] colWeight) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - (b == null ? 0 : b[i]);
            s += (colWeight == null ? 1 : colWeight[i % COLS]) * d * d;
        }
        return s;
    }

    static float[] roundTrip(GgmlType t, float[] x, float[] imp) {
        return Quantizers.dequantize(t, Quantizers.quantize(t, x, x.length / COLS, COLS, imp), x.length / COLS, COLS);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void roundTripErrorWithinBound(GgmlType t) {
        float[] x = normals(11, ROWS * COLS, false);
        float[] y = roundTrip(t, x, null);
        double rel = Math.sqrt(sumSq(x, y, null) / sumSq(x, null, null));
        assertTrue(rel <= MAX_RELATIVE_RMSE.get(t), t + " relative RMS error " + rel);
        if (t != GgmlType.F32) assertTrue(rel > 0, t + " cannot be lossless on normals");
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "IQ4_NL", "IQ4_XS"})
    void encodingARepresentableRowReproducesIt(GgmlType t) {
        float[] y = roundTrip(t, normals(12, ROWS * COLS, true), null);
        assertArrayEquals(y, roundTrip(t, y, null), t + " moved an already representable row");
    }

    /** The searches of Q2_K, Q3_K, Q5_K and Q6_K may settle on another grid for a grid row (llama.cpp does too), but close by. */
    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q5_K", "Q6_K"})
    void searchTypesStayCloseToARepresentableRow(GgmlType t) {
        float[] x = normals(12, ROWS * COLS, true);
        float[] y = roundTrip(t, x, null);
        assertTrue(sumSq(y, roundTrip(t, y, null), null) < 0.5 * sumSq(x, y, null), t.toString());
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void importanceWeightsReduceTheWeightedError(GgmlType t) {
        float[] x = normals(13, ROWS * COLS, true);
        float[] imp = new float[COLS];
        for (int j = 0; j < COLS; j++) imp[j] = j % 10 == 3 ? 50f : 1f;
        double without = sumSq(x, roundTrip(t, x, null), imp);
        double with = sumSq(x, roundTrip(t, x, imp), imp);
        assertTrue(with < 0.97 * without, t + ": weighted error " + with + " with importance vs " + without + " without");
    }

    @Test
    void q8IgnoresImportanceAsLlamaCppDoes() {
        float[] x = normals(14, ROWS * COLS, false);
        float[] imp = new float[COLS];
        java.util.Arrays.fill(imp, 3f);
        assertArrayEquals(Quantizers.quantize(GgmlType.Q8_0, x, ROWS, COLS, null), Quantizers.quantize(GgmlType.Q8_0, x, ROWS, COLS, imp));
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_K", "IQ4_XS", "F16"})
    void parallelQuantizationEqualsRowByRowCodec(GgmlType t) {
        int rows = 97; // several tasks of uneven size
        float[] x = new float[rows * COLS];
        float[] base = normals(15, x.length, true);
        System.arraycopy(base, 0, x, 0, x.length);
        byte[] parallel = Quantizers.quantize(t, x, rows, COLS, null);
        byte[] serial = new byte[parallel.length];
        Quantizers.codec(t).quantize(x, 0, rows, COLS, null, MemorySegment.ofArray(serial), 0);
        assertArrayEquals(serial, parallel);
    }

    @Test
    void codecWritesAtOffsetsAndLeavesTheRestAlone() {
        QuantCodec c = Quantizers.codec(GgmlType.Q4_K);
        float[] x = normals(16, 2 * COLS + 7, false);
        byte[] dst = new byte[10 + 2 * 3 * 144 + 10];
        c.quantize(x, 7, 2, COLS, null, MemorySegment.ofArray(dst), 10);
        for (int i = 0; i < 10; i++) {
            assertEquals(0, dst[i]);
            assertEquals(0, dst[dst.length - 1 - i]);
        }
        float[] back = new float[3 + 2 * COLS];
        c.dequantize(MemorySegment.ofArray(dst), 10, 2, COLS, back, 3);
        float[] direct = Quantizers.dequantize(GgmlType.Q4_K, Quantizers.quantize(GgmlType.Q4_K, java.util.Arrays.copyOfRange(x, 7, 7 + 2 * COLS), 2, COLS, null), 2, COLS);
        assertArrayEquals(direct, java.util.Arrays.copyOfRange(back, 3, back.length));
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> Quantizers.quantize(GgmlType.Q4_K, new float[512], 1, 512 - 32, null));
        assertThrows(IllegalArgumentException.class, () -> Quantizers.quantize(GgmlType.Q4_0, new float[64], 1, 64, new float[32]));
        assertThrows(IllegalArgumentException.class, () -> Quantizers.quantize(GgmlType.Q4_0, new float[32], 2, 32, null));
        assertThrows(IllegalArgumentException.class, () -> Quantizers.codec(GgmlType.TQ1_0));
    }
}
