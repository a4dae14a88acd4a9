package dev.calq.formats.gguf.mix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuantMixTest {
    /** Names and ne of a Llama model in the order calq writes them. */
    static Map<String, long[]> llama(int layers, long hidden, long ffn, long kv, boolean tied) {
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put("token_embd.weight", new long[] {hidden, 1000});
        for (int i = 0; i < layers; i++) {
            String p = "blk." + i + ".";
            t.put(p + "attn_norm.weight", new long[] {hidden});
            t.put(p + "attn_q.weight", new long[] {hidden, hidden});
            t.put(p + "attn_k.weight", new long[] {hidden, kv});
            t.put(p + "attn_v.weight", new long[] {hidden, kv});
            t.put(p + "attn_output.weight", new long[] {hidden, hidden});
            t.put(p + "ffn_norm.weight", new long[] {hidden});
            t.put(p + "ffn_gate.weight", new long[] {hidden, ffn});
            t.put(p + "ffn_up.weight", new long[] {hidden, ffn});
            t.put(p + "ffn_down.weight", new long[] {ffn, hidden});
        }
        t.put("output_norm.weight", new long[] {hidden});
        if (!tied) t.put("output.weight", new long[] {hidden, 1000});
        return t;
    }

    static Map<String, GgmlType> choose(QuantMix mix, Map<String, long[]> tensors, int layers, int gqa, boolean imatrix, List<String> overrides) {
        MixContext ctx = MixContext.forTensors(tensors.keySet(), layers, gqa * 4, 4, imatrix);
        MixChooser c = new MixChooser(mix, ctx, MixChooser.parseAll(overrides));
        Map<String, GgmlType> out = new LinkedHashMap<>();
        tensors.forEach((n, ne) -> out.put(n, c.typeFor(n, ne)));
        return out;
    }

    static List<Integer> layersWith(Map<String, GgmlType> types, String role, GgmlType type) {
        List<Integer> l = new ArrayList<>();
        types.forEach((n, t) -> {
            if (n.endsWith(role + ".weight") && n.startsWith("blk.") && t == type) l.add(Integer.parseInt(n.split("\\.")[1]));
        });
        return l;
    }

    @Test
    void q4KMGivesQ6KToHalfOfAttnVAndFfnDown() {
        Map<String, GgmlType> t = choose(QuantMix.Q4_K_M, llama(32, 512, 1536, 256, false), 32, 2, false, List.of());
        List<Integer> expected = List.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31);
        assertEquals(expected, layersWith(t, "attn_v", GgmlType.Q6_K));
        assertEquals(expected, layersWith(t, "ffn_down", GgmlType.Q6_K));
        assertEquals(16, layersWith(t, "attn_v", GgmlType.Q4_K).size());
        assertEquals(GgmlType.Q4_K, t.get("blk.5.attn_q.weight"));
        assertEquals(GgmlType.Q4_K, t.get("blk.5.ffn_up.weight"));
        assertEquals(GgmlType.F32, t.get("blk.5.attn_norm.weight"));
        assertEquals(GgmlType.Q6_K, t.get("output.weight"));
        assertEquals(GgmlType.Q4_K, t.get("token_embd.weight"));
        // the shared tiny model: 8 layers -> layers 0, 3, 6, 7
        Map<String, GgmlType> tiny = choose(QuantMix.Q4_K_M, llama(8, 512, 1536, 256, false), 8, 2, false, List.of());
        assertEquals(List.of(0, 3, 6, 7), layersWith(tiny, "attn_v", GgmlType.Q6_K));
    }

    @Test
    void otherMixesFollowLlamaQuantize() {
        Map<String, long[]> m = llama(16, 512, 1536, 256, false);
        Map<String, GgmlType> q3 = choose(QuantMix.Q3_K_M, m, 16, 2, false, List.of());
        assertEquals(List.of(0, 1), layersWith(q3, "attn_v", GgmlType.Q5_K));
        assertEquals(14, layersWith(q3, "attn_v", GgmlType.Q4_K).size());
        assertEquals(List.of(0), layersWith(q3, "ffn_down", GgmlType.Q5_K));
        assertEquals(GgmlType.Q4_K, q3.get("blk.3.attn_output.weight"));
        assertEquals(GgmlType.Q3_K, q3.get("blk.3.attn_q.weight"));

        Map<String, GgmlType> q2 = choose(QuantMix.Q2_K, m, 16, 4, false, List.of());
        assertEquals(GgmlType.Q4_K, q2.get("blk.2.attn_v.weight")); // gqa >= 4
        assertEquals(GgmlType.Q3_K, q2.get("blk.2.ffn_down.weight"));
        assertEquals(GgmlType.Q3_K, q2.get("blk.2.attn_output.weight"));
        assertEquals(GgmlType.Q2_K, q2.get("blk.2.ffn_up.weight"));
        assertEquals(GgmlType.Q3_K, choose(QuantMix.Q2_K, m, 16, 2, false, List.of()).get("blk.2.attn_v.weight"));

        Map<String, GgmlType> q4s = choose(QuantMix.Q4_K_S, m, 16, 2, false, List.of());
        assertEquals(List.of(0, 1, 2, 3), layersWith(q4s, "attn_v", GgmlType.Q5_K));
        assertEquals(List.of(0, 1), layersWith(q4s, "ffn_down", GgmlType.Q5_K));

        Map<String, GgmlType> iq4 = choose(QuantMix.IQ4_XS, m, 16, 4, false, List.of());
        assertEquals(GgmlType.Q5_K, iq4.get("blk.9.attn_v.weight"));
        assertEquals(List.of(0, 1), layersWith(iq4, "ffn_down", GgmlType.Q5_K));
        assertEquals(List.of(), layersWith(choose(QuantMix.IQ4_XS, m, 16, 4, true, List.of()), "ffn_down", GgmlType.Q5_K));

        Map<String, GgmlType> q40 = choose(QuantMix.Q4_0, m, 16, 2, true, List.of());
        assertEquals(List.of(0, 1), layersWith(q40, "ffn_down", GgmlType.Q4_1));
        assertEquals(GgmlType.Q6_K, q40.get("output.weight"));

        Map<String, GgmlType> q8 = choose(QuantMix.Q8_0, m, 16, 2, false, List.of());
        assertEquals(GgmlType.Q8_0, q8.get("output.weight"));
        assertEquals(GgmlType.Q8_0, q8.get("blk.0.attn_v.weight"));

        Map<String, GgmlType> f16 = choose(QuantMix.F16, m, 16, 2, false, List.of("attn_v=q8_0"));
        assertEquals(GgmlType.F16, f16.get("output.weight"));
        assertEquals(GgmlType.F16, f16.get("blk.0.attn_v.weight")); // overrides only act on quantized mixes
        assertEquals(GgmlType.F32, f16.get("blk.0.ffn_norm.weight"));
        assertEquals(GgmlType.F32, choose(QuantMix.F32, m, 16, 2, false, List.of()).get("token_embd.weight"));
        assertEquals(GgmlType.BF16, choose(QuantMix.BF16, m, 16, 2, false, List.of()).get("blk.1.ffn_down.weight"));
    }

    @Test
    void tiedEmbeddingsTakeTheOutputRule() {
        Map<String, GgmlType> t = choose(QuantMix.Q4_K_M, llama(8, 512, 1536, 256, true), 8, 2, false, List.of());
        assertEquals(GgmlType.Q6_K, t.get("token_embd.weight"));
    }

    @Test
    void rowLengthsThatAreNotBlockMultiplesFallBack() {
        Map<String, GgmlType> t = choose(QuantMix.Q4_K_M, llama(8, 96, 160, 96, false), 8, 2, false, List.of());
        assertEquals(GgmlType.Q5_0, t.get("blk.1.attn_q.weight")); // Q4_K -> Q5_0
        assertEquals(GgmlType.Q8_0, t.get("blk.0.attn_v.weight")); // Q6_K -> Q8_0
        assertEquals(GgmlType.Q8_0, t.get("output.weight"));
        Map<String, GgmlType> odd = choose(QuantMix.Q4_K_M, llama(8, 100, 160, 100, false), 8, 2, false, List.of());
        assertEquals(GgmlType.F16, odd.get("blk.1.attn_q.weight")); // Q5_0 does not fit either
        assertEquals(GgmlType.IQ4_NL, QuantMix.fallback("x", 96, GgmlType.IQ4_XS));
        assertEquals(GgmlType.Q5_1, QuantMix.fallback("x", 96, GgmlType.Q5_K));
        assertEquals(GgmlType.Q4_0, QuantMix.fallback("x", 96, GgmlType.Q3_K));
    }

    @Test
    void overridesWinAndSkipTheMixRules() {
        Map<String, GgmlType> t = choose(QuantMix.Q4_K_M, llama(8, 512, 1536, 256, false), 8, 2, false,
                List.of("ATTN_V=Q8_0", "blk\\.[0-3]\\.ffn_(up|gate)=q5_k"));
        assertEquals(8, layersWith(t, "attn_v", GgmlType.Q8_0).size());
        assertEquals(List.of(0, 1, 2, 3), layersWith(t, "ffn_up", GgmlType.Q5_K));
        assertEquals(List.of(4, 5, 6, 7), layersWith(t, "ffn_gate", GgmlType.Q4_K));
        assertThrows(CalqException.class, () -> MixChooser.Override.parse("attn_v"));
        assertThrows(CalqException.class, () -> MixChooser.Override.parse("attn_v=q9_x"));
        assertThrows(CalqException.class, () -> MixChooser.Override.parse("(=q8_0"));
    }

    @Test
    void namesResolveAndUnknownOnesAreClear() {
        assertEquals(QuantMix.Q4_K_M, QuantMix.forName("q4_k_m"));
        assertEquals(15, QuantMix.Q4_K_M.fileType());
        assertEquals(GgmlType.Q4_K, QuantMix.forName("Q4_K_S").defaultType());
        assertThrows(CalqException.class, () -> QuantMix.forName("Q9"));
    }
}
