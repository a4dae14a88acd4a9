package dev.calq.formats.gguf.quant;

import static dev.calq.formats.gguf.quant.QuantRoundTripTest.normals;
import static dev.calq.formats.gguf.quant.QuantRoundTripTest.roundTrip;
import static dev.calq.formats.gguf.quant.QuantRoundTripTest.sumSq;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Properties of the codebook types on random data: error bounds, importance, threads, and the neighbour maps. */
class IqCodecTest {
    private static final int ROWS = 5;
    private static final int COLS = 768;

    /** Relative RMS error bounds on unit normals with uniform importance, about 1.3x what the types reach. */
    private static final Map<GgmlType, Double> MAX_RELATIVE_RMSE = Map.of(
            GgmlType.IQ3_S, 0.20, GgmlType.IQ3_XXS, 0.24, GgmlType.IQ2_S, 0.36, GgmlType.IQ2_XS, 0.40,
            GgmlType.IQ2_XXS, 0.45, GgmlType.IQ1_M, 0.62, GgmlType.IQ1_S, 0.66);

    private static float[] ones() {
        float[] imp = new float[COLS];
        java.util.Arrays.fill(imp, 1f);
        return imp;
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void roundTripErrorWithinBound(GgmlType t) {
        float[] x = normals(21, ROWS * COLS, false);
        double rel = Math.sqrt(sumSq(x, roundTrip(t, x, ones()), null) / sumSq(x, null, null));
        assertTrue(rel <= MAX_RELATIVE_RMSE.get(t), t + " relative RMS error " + rel);
        assertTrue(rel > 0.3 * MAX_RELATIVE_RMSE.get(t), t + " suspiciously exact: " + rel);
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void importanceWeightsReduceTheWeightedError(GgmlType t) {
        float[] x = normals(23, ROWS * COLS, true);
        float[] imp = new float[COLS];
        for (int j = 0; j < COLS; j++) imp[j] = j % 10 == 3 ? 50f : 1f;
        double uniform = sumSq(x, roundTrip(t, x, ones()), imp);
        double with = sumSq(x, roundTrip(t, x, imp), imp);
        assertTrue(with < 0.97 * uniform, t + ": weighted error " + with + " with importance vs " + uniform + " uniform");
    }

    /** Whole-tensor quantization on the pool, one codec call over all rows, and uneven row ranges in reverse order agree. */
    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_S", "IQ3_S", "IQ1_M"})
    void outputDoesNotDependOnHowRowsAreSplit(GgmlType t) {
        int rows = 41;
        float[] x = normals(25, rows * COLS, true);
        float[] imp = normals(26, COLS, false);
        for (int j = 0; j < COLS; j++) imp[j] = imp[j] * imp[j];
        int rowBytes = Math.toIntExact(t.rowBytes(COLS));
        byte[] serial = new byte[rows * rowBytes];
        Quantizers.codec(t).quantize(x, 0, rows, COLS, imp, MemorySegment.ofArray(serial), 0);
        assertArrayEquals(serial, Quantizers.quantize(t, x, rows, COLS, imp), t + " on the pool");
        byte[] pieces = new byte[rows * rowBytes];
        int[] cuts = {41, 30, 29, 11, 4, 0};
        for (int c = 0; c + 1 < cuts.length; c++) {
            int r0 = cuts[c + 1];
            Quantizers.codec(t).quantize(x, r0 * COLS, cuts[c] - r0, COLS, imp, MemorySegment.ofArray(pieces), (long) r0 * rowBytes);
        }
        assertArrayEquals(serial, pieces, t + " in uneven pieces");
    }

    /** Every neighbour list equals a plain sort of all grid points by (squared distance, index), cut after nwant distances. */
    @ParameterizedTest
    @EnumSource(IqGrid.Book.class)
    void neighbourListsMatchABruteForceSearch(IqGrid.Book book) {
        IqGrid g = book.grid();
        int bits = g.dim == 4 ? 3 : 2;
        int levels = bits == 3 ? 8 : 3;
        int nwant = switch (book) { case IQ2S -> 1; case IQ3S, IQ1S -> 3; default -> 2; };
        Random r = new Random(book.ordinal());
        int checked = 0;
        while (checked < 200) {
            int[] p = new int[g.dim];
            int key = 0;
            for (int i = 0; i < g.dim; i++) {
                p[i] = r.nextInt(levels);
                key |= p[i] << (bits * i);
            }
            if (g.index(key) >= 0) continue;
            List<int[]> all = new ArrayList<>();
            for (int j = 0; j < g.size; j++) {
                long d2 = 0;
                for (int i = 0; i < g.dim; i++) {
                    double diff = (double) g.pos[j * g.dim + i] - (2 * p[i] + 1);
                    d2 += (long) (diff * diff);
                }
                all.add(new int[] {(int) d2, j});
            }
            all.sort(Comparator.<int[]>comparingInt(a -> a[0]).thenComparingInt(a -> a[1]));
            List<Integer> want = new ArrayList<>();
            int distinct = 0;
            int last = -1;
            for (int[] a : all) {
                if (a[0] != last) {
                    if (++distinct > nwant) break;
                    last = a[0];
                }
                want.add(a[1]);
            }
            assertArrayEquals(want.stream().mapToInt(Integer::intValue).toArray(), g.neighboursOf(key), book + " key " + key);
            checked++;
        }
        assertEquals(200, checked);
    }
}
