package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.gguf.quant.BlockGrid;
import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.gguf.quant.Quantizers;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HessianScaleChoiceTest {
    private static final GptqConfig CFG = GptqConfig.defaults();
    private static final int IN = 512;
    /** One correlated Hessian for every type (two super-blocks of 256 columns). */
    private static final double[] H = TestData.hessian(TestData.correlated(new Random(7), 600, IN), 600, IN);

    /**
     * Brute force: every candidate header scored by a plain double loop of GPTQ over the block; the choice must be the
     * candidate with the smallest loss, its bytes and its loss. Rows of two blocks, the second block chosen after the
     * first block's columns were quantized into it, so the second block sees updated weights.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void picksTheCandidateWithTheSmallestBlockLoss(GgmlType t) {
        int bs = t.blockSize(), in = IN;
        Random rnd = new Random(7 + t.ordinal());
        double[] h = H;
        InverseHessian inv = InverseHessian.prepare("h", h, in, CFG);
        float[] u = inv.upper();
        float[][] cands = HessianScaleChoice.candidates(GgufGptqQuantizer.diagonal(h, in), u, in);
        BlockGrid grid = Quantizers.blockGrid(t);
        HessianScaleChoice choice = new HessianScaleChoice(grid, u, in, cands);
        HessianScaleChoice.Scratch s = choice.scratch();
        int distinct = 0;
        for (int trial = 0; trial < 4; trial++) {
            float[] row = TestData.gaussian(rnd, in, 0.02 + 0.02 * trial);
            for (int block = 0; block < in / bs; block++) {
                double bestRef = Double.POSITIVE_INFINITY;
                byte[] bestHeader = null;
                java.util.Set<String> headers = new java.util.HashSet<>();
                for (float[] imp : cands) {
                    byte[] hdr = new byte[t.typeSize()];
                    grid.chooseScales(row, 0, in, imp, block, hdr, 0);
                    headers.add(Arrays.toString(hdr));
                    double loss = referenceLoss(grid, hdr, row, block * bs, u, in);
                    if (loss < bestRef) {
                        bestRef = loss;
                        bestHeader = hdr;
                    }
                }
                if (headers.size() > 1) distinct++;
                byte[] got = new byte[t.typeSize()];
                double loss = choice.choose(row, 0, block, got, 0, s);
                assertEquals(bestRef, loss, 1e-4 * bestRef, t + " trial " + trial + " block " + block);
                assertArrayEquals(bestHeader, got, t + " trial " + trial + " block " + block);
                // Quantize this block into the row as GPTQ does, so the next block is chosen from updated weights.
                propagate(grid, got, row, block * bs, u, in);
            }
        }
        assertTrue(distinct > 0, t + ": the candidates never differed, so the test compared nothing");
    }

    /** GPTQ's loss of one block in double: nearest level, error (x - q) / U_cc pushed onto the block's later columns. */
    private static double referenceLoss(BlockGrid grid, byte[] hdr, float[] row0, int start, float[] u, int in) {
        int bs = grid.type().blockSize();
        float[] step = new float[bs], offset = new float[bs];
        grid.grid(hdr, 0, step, offset);
        double[] x = new double[bs];
        for (int i = 0; i < bs; i++) x[i] = row0[start + i];
        float[] v = grid.levelValues();
        double loss = 0;
        for (int i = 0; i < bs; i++) {
            int c = start + i;
            double best = Double.POSITIVE_INFINITY, q = 0;
            for (float level : v) {
                double cand = (double) step[i] * level + offset[i];
                if (Math.abs(x[i] - cand) < best) {
                    best = Math.abs(x[i] - cand);
                    q = cand;
                }
            }
            double d = u[c * in + c];
            loss += (x[i] - q) * (x[i] - q) / (d * d) / 2;
            double e = (x[i] - q) / d;
            for (int j = i + 1; j < bs; j++) x[j] -= e * u[c * in + start + j];
        }
        return loss;
    }

    /** Rounds the block onto hdr's grid and pushes the errors onto every later column of the row. */
    private static void propagate(BlockGrid grid, byte[] hdr, float[] row, int start, float[] u, int in) {
        int bs = grid.type().blockSize();
        float[] step = new float[bs], offset = new float[bs], v = grid.levelValues();
        grid.grid(hdr, 0, step, offset);
        for (int i = 0; i < bs; i++) {
            int c = start + i;
            float q = step[i] * v[grid.nearestLevel(row[c], step[i], offset[i])] + offset[i];
            double e = (row[c] - q) / u[c * in + c];
            for (int j = c + 1; j < in; j++) row[j] -= (float) (e * u[c * in + j]);
        }
    }
}
