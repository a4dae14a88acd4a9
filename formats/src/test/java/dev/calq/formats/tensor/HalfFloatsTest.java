package dev.calq.formats.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Widening of bf16/f16 against a plain per-element reference, at lengths around the vector width and odd offsets. */
class HalfFloatsTest {
    private static final int[] LENGTHS = {0, 1, 7, 15, 16, 17, 31, 33, 100, 257};

    /** Random 16-bit patterns plus the special values: zeros, infinities, NaNs, subnormals. */
    private static short[] patterns(Random r, int n) {
        short[] special = {0, (short) 0x8000, 0x7f80, (short) 0xff80, 0x7fc0, 0x0001, (short) 0x8001, 0x7c00, (short) 0xfc00, 0x7e00, 0x03ff, 0x3c00};
        short[] s = new short[n];
        for (int i = 0; i < n; i++) s[i] = i < special.length && r.nextBoolean() ? special[i] : (short) r.nextInt();
        return s;
    }

    private static MemorySegment bytes(short[] s, int lead) {
        MemorySegment seg = MemorySegment.ofArray(new byte[lead + 2 * s.length]);
        for (int i = 0; i < s.length; i++) seg.set(Tensor.I16, lead + 2L * i, s[i]);
        return seg;
    }

    @Test
    void bf16MatchesShiftReference() {
        Random r = new Random(7);
        for (int n : LENGTHS) {
            for (int lead : new int[] {0, 1, 6}) {
                short[] s = patterns(r, n);
                float[] dst = new float[n + 3];
                HalfFloats.toFloat(DType.BF16, bytes(s, lead), lead, dst, 3, n);
                for (int i = 0; i < n; i++)
                    assertEquals((s[i] & 0xffff) << 16, Float.floatToRawIntBits(dst[3 + i]), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void f16MatchesDoubleReference() {
        Random r = new Random(8);
        for (int n : LENGTHS) {
            short[] s = patterns(r, n);
            float[] dst = new float[n];
            HalfFloats.toFloat(DType.F16, bytes(s, 2), 2, dst, 0, n);
            for (int i = 0; i < n; i++) {
                double ref = f16Reference(s[i]);
                if (Double.isNaN(ref)) assertEquals(true, Float.isNaN(dst[i]));
                else assertEquals(ref, dst[i], 0.0, "bits " + Integer.toHexString(s[i] & 0xffff));
            }
        }
    }

    /** IEEE binary16 decoded from its fields in double arithmetic. */
    private static double f16Reference(short h) {
        int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
        double mag = exp == 0 ? frac * Math.pow(2, -24)
                : exp == 31 ? (frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : (1 + frac / 1024.0) * Math.pow(2, exp - 15);
        return sign == 1 ? -mag : mag;
    }

    @Test
    void tensorCopyFloatsAllFloatTypesFromAnyStart() {
        Random r = new Random(9);
        int n = 37;
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = r.nextGaussian();
        for (DType d : new DType[] {DType.F64, DType.F32, DType.F16, DType.BF16}) {
            MemorySegment seg = MemorySegment.ofArray(new byte[n * d.byteSize()]);
            for (int i = 0; i < n; i++) {
                switch (d) {
                    case F64 -> seg.set(Tensor.F64, 8L * i, ref[i]);
                    case F32 -> seg.set(Tensor.F32, 4L * i, (float) ref[i]);
                    case F16 -> seg.set(Tensor.I16, 2L * i, Float.floatToFloat16((float) ref[i]));
                    default -> seg.set(Tensor.I16, 2L * i, (short) (Float.floatToRawIntBits((float) ref[i]) >>> 16));
                }
            }
            Tensor t = new Tensor("t", d, new long[] {n}, seg);
            float[] all = t.toFloatArray();
            float[] part = new float[n - 5];
            t.copyFloats(5, part, 0, n - 5);
            double tol = d == DType.BF16 ? 1.0 / 128 : d == DType.F16 ? 1.0 / 1024 : 1e-7;
            for (int i = 0; i < n; i++) {
                assertEquals(ref[i], all[i], tol * Math.max(1, Math.abs(ref[i])), d + " " + i);
                assertEquals(t.getFloat(i), all[i], 0.0);
                if (i >= 5) assertEquals(all[i], part[i - 5], 0.0);
            }
        }
    }
}
