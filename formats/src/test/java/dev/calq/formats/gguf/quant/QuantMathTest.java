package dev.calq.formats.gguf.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The scalar helpers against plain double-precision definitions. */
class QuantMathTest {
    @Test
    void nearestIntRoundsHalfToEven() {
        Random r = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            float v = (float) ((r.nextDouble() - 0.5) * (i % 2 == 0 ? 100 : 8_000_000));
            assertEquals((int) Math.rint(v), QuantMath.nearestInt(v), "v=" + v);
        }
        assertEquals(2, QuantMath.nearestInt(2.5f));
        assertEquals(-2, QuantMath.nearestInt(-2.5f));
        assertEquals(4, QuantMath.nearestInt(3.5f));
    }

    @Test
    void roundAwayMatchesCRoundf() {
        Random r = new Random(2);
        for (int i = 0; i < 200_000; i++) {
            float v = (float) ((r.nextDouble() - 0.5) * 300);
            double a = Math.abs((double) v);
            double fl = Math.floor(a);
            long expected = (long) (a - fl >= 0.5 ? fl + 1 : fl);
            assertEquals(v < 0 ? -expected : expected, QuantMath.roundAway(v), "v=" + v);
        }
        assertEquals(-3, QuantMath.roundAway(-2.5f));
        assertEquals(0, QuantMath.roundAway(0.49999997f));
    }

    @Test
    void halfAndBf16ConversionsRoundToNearestEven() {
        Random r = new Random(3);
        byte[] b = new byte[2];
        for (int i = 0; i < 100_000; i++) {
            float v = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(v)) continue;
            // bf16: the nearest of the two truncations, ties to the even one, computed in double.
            int u = Float.floatToRawIntBits(v);
            float lo = Float.intBitsToFloat(u & 0xffff0000);
            float hi = Float.intBitsToFloat((u & 0xffff0000) + 0x10000);
            double dl = Math.abs((double) v - lo);
            double dh = Math.abs((double) hi - v);
            int expected = dl < dh || (dl == dh && ((u >>> 16) & 1) == 0) ? u >>> 16 : (u >>> 16) + 1;
            if (!Float.isInfinite(hi)) assertEquals((short) expected, QuantMath.floatToBf16(v), "v=" + v);
            float small = v / 1e30f;
            QuantMath.putHalf(b, 0, small);
            assertEquals(Float.floatToFloat16(small), QuantMath.getShort(b, 0));
        }
    }
}
