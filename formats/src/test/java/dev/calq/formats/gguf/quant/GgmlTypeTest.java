package dev.calq.formats.gguf.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GgmlTypeTest {
    @Test
    void idsAndGeometryFollowGgml() {
        assertEquals(GgmlType.Q4_K, GgmlType.fromId(12));
        assertEquals(GgmlType.BF16, GgmlType.fromId(30));
        assertEquals(GgmlType.IQ4_XS, GgmlType.fromId(23));
        assertEquals(144, GgmlType.Q4_K.rowBytes(256));
        assertEquals(4096 / 32 * 18, GgmlType.Q4_0.rowBytes(4096));
        assertEquals(2 * 7, GgmlType.F16.rowBytes(7));
        assertEquals(136, GgmlType.IQ4_XS.typeSize());
        assertNull(GgmlType.byId(4)); // Q4_2, removed from ggml
        assertThrows(IllegalArgumentException.class, () -> GgmlType.fromId(31));
        assertThrows(IllegalArgumentException.class, () -> GgmlType.Q6_K.rowBytes(100));
        assertEquals(GgmlType.Q2_K, GgmlType.fromName("q2_k"));
        assertEquals(GgmlType.IQ4_NL, GgmlType.fromName("IQ4_NL"));
    }

    @Test
    void idsAreUniqueAndCodecsCoverTheIssueTypes() {
        for (GgmlType t : GgmlType.values()) assertEquals(t, GgmlType.fromId(t.id()));
        for (String n : new String[] {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"}) {
            GgmlType t = GgmlType.valueOf(n);
            assertTrue(t.hasCodec(), n);
            assertEquals(t, Quantizers.codec(t).type());
        }
        assertFalse(GgmlType.TQ1_0.hasCodec());
    }
}
