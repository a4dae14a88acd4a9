package dev.calq.formats.gguf.quant;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * One codebook of the IQ1/IQ2/IQ3 types: the decode table (what dequantization multiplies by), and the search
 * structures ggml's quantizers use on it (iq2xs_init_impl / iq3xs_init_impl). In the search every grid value is
 * replaced by its rank r among the table's distinct values and placed at the odd position 2r+1; a point of
 * {@code dim} ranks packs into a key of {@code bits} bits per element. Keys on the grid map to their grid index;
 * every other key maps to a list of its nearest grid points (all points at the {@code nwant} smallest squared
 * distances, by distance then index). Built once per codebook on first use; immutable and shared between threads.
 */
final class IqGrid {
    private static final String RESOURCE = "iq-grids.txt";

    /** The codebooks, by the name of their ggml table, with the number of distance levels each keeps. */
    enum Book {
        IQ2XXS("iq2xxs_grid", 2, 2), IQ2XS("iq2xs_grid", 2, 2), IQ2S("iq2s_grid", 2, 1), IQ1S("iq1s_grid", 2, 3),
        IQ3XXS("iq3xxs_grid", 3, 2), IQ3S("iq3s_grid", 3, 3);

        private final String table;
        private final int bits;
        private final int nwant;
        private volatile IqGrid grid;

        Book(String table, int bits, int nwant) {
            this.table = table;
            this.bits = bits;
            this.nwant = nwant;
        }

        IqGrid grid() {
            IqGrid g = grid;
            if (g == null) {
                synchronized (this) {
                    g = grid;
                    if (g == null) grid = g = new IqGrid(Tables.TABLES.get(table), bits, nwant);
                }
            }
            return g;
        }
    }

    /** The decode tables of the resource, parsed on first use. */
    private static final class Tables {
        static final Map<String, byte[][]> TABLES = load();

        private static Map<String, byte[][]> load() {
            Map<String, byte[][]> tables = new HashMap<>();
            try (InputStream in = IqGrid.class.getResourceAsStream(RESOURCE)) {
                if (in == null) throw new IllegalStateException("calq's jar lacks the resource " + RESOURCE);
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                String line;
                byte[][] cur = null;
                int n = 0;
                while ((line = r.readLine()) != null) {
                    if (line.isBlank() || line.startsWith("#")) continue;
                    String[] f = line.trim().split("\\s+");
                    if (f[0].equals("table")) {
                        cur = new byte[Integer.parseInt(f[2])][Integer.parseInt(f[3])];
                        tables.put(f[1], cur);
                        n = 0;
                        continue;
                    }
                    for (String word : f) {
                        long v = Long.parseUnsignedLong(word, 16);
                        byte[] e = cur[n++];
                        for (int i = 0; i < e.length; i++) e[i] = (byte) (v >>> (8 * i));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return tables;
        }
    }

    /** Number of grid points and elements per point. */
    final int size;
    final int dim;
    /** The decode table, {@code size * dim} bytes (int8 for IQ1, uint8 magnitudes otherwise). */
    final byte[] values;
    /** Per grid point and element the search position 2 * rank + 1. */
    final byte[] pos;
    private final int bits;
    /** Key to grid index (>= 0), or -(1 + offset) of the key's neighbour list in {@link #neighbours}. */
    private final int[] map;
    /** Per off-grid key: the count, then that many grid indices. */
    private final short[] neighbours;

    private IqGrid(byte[][] table, int bits, int nwant) {
        size = table.length;
        dim = table[0].length;
        this.bits = bits;
        values = new byte[size * dim];
        TreeSet<Byte> levels = new TreeSet<>();
        for (int k = 0; k < size; k++) {
            for (int i = 0; i < dim; i++) {
                values[k * dim + i] = table[k][i];
                levels.add(table[k][i]);
            }
        }
        Byte[] sorted = levels.toArray(new Byte[0]);
        int nlevels = sorted.length;
        pos = new byte[size * dim];
        int keys = 1 << (bits * dim);
        map = new int[keys];
        java.util.Arrays.fill(map, Integer.MIN_VALUE);
        for (int k = 0; k < size; k++) {
            int key = 0;
            for (int i = 0; i < dim; i++) {
                int rank = java.util.Arrays.binarySearch(sorted, values[k * dim + i]);
                pos[k * dim + i] = (byte) (2 * rank + 1);
                key |= rank << (bits * i);
            }
            map[key] = k;
        }
        // Off-grid keys whose ranks all exist; the quantizers clamp ranks to the level count, so no other key occurs.
        short[] lists = new short[1 << 20];
        int used = 0;
        int[] d2 = new int[size];
        int[] p = new int[dim];
        for (int key = 0; key < keys; key++) {
            if (map[key] >= 0) continue;
            boolean valid = true;
            for (int i = 0; i < dim; i++) {
                p[i] = 2 * ((key >> (bits * i)) & ((1 << bits) - 1)) + 1;
                if (p[i] > 2 * nlevels - 1) valid = false;
            }
            if (!valid) continue;
            for (int j = 0; j < size; j++) {
                int s = 0;
                for (int i = 0; i < dim; i++) {
                    int diff = pos[j * dim + i] - p[i];
                    s += diff * diff;
                }
                d2[j] = s;
            }
            int start = used;
            if (lists.length < used + 1 + size) lists = java.util.Arrays.copyOf(lists, 2 * lists.length + size);
            used++;
            int level = -1;
            for (int have = 0; have < nwant; have++) {
                int next = Integer.MAX_VALUE;
                for (int j = 0; j < size; j++) if (d2[j] > level && d2[j] < next) next = d2[j];
                if (next == Integer.MAX_VALUE) break;
                for (int j = 0; j < size; j++) if (d2[j] == next) lists[used++] = (short) j;
                level = next;
            }
            lists[start] = (short) (used - start - 1);
            map[key] = -(start + 1);
        }
        neighbours = java.util.Arrays.copyOf(lists, used);
    }

    /** The grid index of a key, or -1 when the key is not on the grid. */
    int index(int key) {
        int m = map[key];
        return m >= 0 ? m : -1;
    }

    /** The neighbour list of an off-grid key (for tests). */
    int[] neighboursOf(int key) {
        int at = -map[key] - 1;
        int[] r = new int[neighbours[at]];
        for (int j = 0; j < r.length; j++) r[j] = neighbours[at + 1 + j];
        return r;
    }

    /** Packs {@code dim} ranks from {@code L} at {@code lo} into a key. */
    int key(byte[] L, int lo) {
        int u = 0;
        for (int i = 0; i < dim; i++) u |= L[lo + i] << (bits * i);
        return u;
    }

    /**
     * For an off-grid key: the neighbour minimising sum w_i (scale * pos_i - x_i)^2 (the first of equals), its ranks
     * written to {@code L} at {@code lo}; as iq2_find_best_neighbour / iq3_find_best_neighbour.
     */
    int bestNeighbour(int key, float[] xval, int xo, float[] w, int wo, float scale, byte[] L, int lo) {
        int at = -map[key] - 1;
        int count = neighbours[at];
        float best = Float.MAX_VALUE;
        int bestIndex = -1;
        for (int j = 1; j <= count; j++) {
            int g = neighbours[at + j];
            float d2 = 0;
            for (int i = 0; i < dim; i++) {
                float q = pos[g * dim + i];
                float diff = scale * q - xval[xo + i];
                d2 += w[wo + i] * diff * diff;
            }
            if (d2 < best) {
                best = d2;
                bestIndex = g;
            }
        }
        for (int i = 0; i < dim; i++) L[lo + i] = (byte) ((pos[bestIndex * dim + i] - 1) / 2);
        return bestIndex;
    }

    /**
     * The IQ1 variant (iq1_find_best_neighbour2): rank r stands for {@code levels[r]}, the error is
     * sum w_i (scale * levels[r_i] - x_i)^2 on signed values. Where no neighbour gives a finite error (ggml then reads
     * past its arrays) the first neighbour is taken.
     */
    int bestNeighbour(int key, float[] x, int xo, float[] w, int wo, float scale, float[] levels, byte[] L, int lo) {
        int at = -map[key] - 1;
        int count = neighbours[at];
        float best = Float.MAX_VALUE;
        int bestIndex = neighbours[at + 1];
        for (int j = 1; j <= count; j++) {
            int g = neighbours[at + j];
            float d2 = 0;
            for (int i = 0; i < dim; i++) {
                float q = levels[(pos[g * dim + i] - 1) / 2];
                float diff = scale * q - x[xo + i];
                d2 += w[wo + i] * diff * diff;
            }
            if (d2 < best) {
                best = d2;
                bestIndex = g;
            }
        }
        ranks(bestIndex, L, lo);
        return bestIndex;
    }

    /** Writes grid point g's ranks to {@code L} at {@code lo}. */
    void ranks(int g, byte[] L, int lo) {
        for (int i = 0; i < dim; i++) L[lo + i] = (byte) ((pos[g * dim + i] - 1) / 2);
    }

    /** Grid index for the ranks at {@code L}, {@code lo}: on-grid directly, else the best neighbour (ranks replaced). */
    int onGridOrNeighbour(float[] xval, int xo, float[] w, int wo, float scale, byte[] L, int lo) {
        int key = key(L, lo);
        int g = index(key);
        return g >= 0 ? g : bestNeighbour(key, xval, xo, w, wo, scale, L, lo);
    }
}
