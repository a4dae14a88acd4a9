package dev.calq.formats.bnb;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Bnb4BitTypeTest {
    @Test
    void nearestCodeMatchesAPlainDoubleSearch() {
        Random rnd = new Random(7);
        for (Bnb4BitType t : Bnb4BitType.values()) {
            float[] code = t.code();
            for (int i = 0; i < 5000; i++) {
                float x = i < 16 ? code[i] : (float) (rnd.nextDouble() * 2.2 - 1.1);
                int best = 0;
                for (int k = 1; k < 16; k++) if (Math.abs((double) x - code[k]) < Math.abs((double) x - code[best])) best = k;
                assertEquals(code[best], code[t.nearest(x)], t + " at " + x);
            }
        }
        assertEquals(7, Bnb4BitType.NF4.nearest(0f));
        assertEquals(0, Bnb4BitType.FP4.nearest(0f)); // +0 comes before -0 (index 8)
    }

    @Test
    void codeTablesAreBitsandbytesValues() {
        float[] nf4 = Bnb4BitType.NF4.code();
        assertEquals(-1f, nf4[0]);
        assertEquals(0f, nf4[7]);
        assertEquals(1f, nf4[15]);
        for (int k = 1; k < 16; k++) assertTrue(nf4[k] > nf4[k - 1]);
        float[] fp4 = Bnb4BitType.FP4.code();
        assertArrayEquals(new float[] {0f, 0.0625f / 12, 8f / 12, 1f, 4f / 12, 0.5f, 2f / 12, 0.25f}, java.util.Arrays.copyOf(fp4, 8));
        for (int k = 0; k < 8; k++) assertEquals(-fp4[k], fp4[k + 8]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(fp4[8]));
    }

    @Test
    void dynamicMapIsBitIdenticalToTorchsComputationOfBitsandbytesAlgorithm() throws Exception {
        String text;
        try (InputStream in = getClass().getResourceAsStream("/bnb/dynamic-map-signed.txt")) {
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        int[] expected = text.lines().filter(l -> !l.startsWith("#")).mapToInt(l -> Integer.parseUnsignedInt(l.strip(), 16)).toArray();
        float[] map = BnbDynamicMap.signed();
        assertEquals(256, expected.length);
        for (int i = 0; i < 256; i++) assertEquals(expected[i], Float.floatToRawIntBits(map[i]), "entry " + i + " = " + map[i]);
    }
}
