package dev.calq.formats.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Widening of bfloat16 and float16 data to float32, vectorised where the Vector API pays. */
public final class HalfFloats {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Shorts filling half a preferred vector, so that widening them fills one float vector (null: no such shape). */
    private static final VectorSpecies<Short> HALF = ShortVector.SPECIES_PREFERRED.length() >= 2 * F.length()
            ? VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(F.length() * 16)) : null;

    private HalfFloats() {}

    /** Widens {@code count} halves at byte offset {@code byteOffset} of {@code src} into {@code dst}. */
    public static void toFloat(DType dtype, MemorySegment src, long byteOffset, float[] dst, int dstOffset, int count) {
        if (dtype == DType.BF16) bf16ToFloat(src, byteOffset, dst, dstOffset, count);
        else if (dtype == DType.F16) {
            for (int i = 0; i < count; i++) dst[dstOffset + i] = Float.float16ToFloat(src.get(Tensor.I16, byteOffset + 2L * i));
        } else throw new IllegalArgumentException("not a half type: " + dtype);
    }

    /** bf16 is the top half of a float32: widening is a 16-bit left shift. */
    public static void bf16ToFloat(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int count) {
        int lanes = F.length();
        VectorSpecies<Short> halfSpecies = HALF;
        int i = 0;
        if (halfSpecies != null) {
            for (; i + lanes <= count; i += lanes) {
                ShortVector s = ShortVector.fromMemorySegment(halfSpecies, src, byteOffset + 2L * i, ByteOrder.LITTLE_ENDIAN);
                IntVector w = (IntVector) s.convertShape(VectorOperators.ZERO_EXTEND_S2I, IntVector.SPECIES_PREFERRED, 0);
                w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOffset + i);
            }
        }
        for (; i < count; i++) dst[dstOffset + i] = Float.intBitsToFloat((src.get(Tensor.I16, byteOffset + 2L * i) & 0xffff) << 16);
    }

    /** {@code x} rounded to the nearest bfloat16 (ties to even), as a float; NaN stays NaN. */
    public static float roundToBf16(float x) {
        if (Float.isNaN(x)) return x;
        int u = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000);
    }
}
