package dev.calq.calibration.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.formats.SharedData;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The shared tinyllama model against the float32 transformers logits recorded in its reference_logits.json. */
class ReferenceLogitsTest {
    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    private static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }

    @Test void logitsArgmaxAndGreedyTokensMatchTransformers() throws IOException {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        JsonNode ref = new ObjectMapper().readTree(SharedData.tinyLlama().resolve("reference_logits.json").toFile());
        try (LoadedModel loaded = ModelLoader.load(SharedData.tinyLlama())) {
            LlamaModel model = loaded.model();
            int vocab = model.vocabSize();
            for (JsonNode p : ref.get("prompts")) {
                int[] ids = ints(p.get("input_ids"));
                float[] logits = model.forward(ids);
                int last = (ids.length - 1) * vocab;
                double maxDiff = 0;
                JsonNode first8 = p.get("last_logits_first8"), last8 = p.get("last_logits_last8");
                for (int i = 0; i < 8; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(logits[last + i] - first8.get(i).asDouble()));
                    maxDiff = Math.max(maxDiff, Math.abs(logits[last + vocab - 8 + i] - last8.get(i).asDouble()));
                }
                int[] top5 = ints(p.get("last_top5_ids"));
                for (int i = 0; i < 5; i++)
                    maxDiff = Math.max(maxDiff, Math.abs(logits[last + top5[i]] - p.get("last_top5_logits").get(i).asDouble()));
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int v = 0; v < vocab; v++) max = Math.max(max, logits[last + v]);
                for (int v = 0; v < vocab; v++) sum += Math.exp(logits[last + v] - max);
                maxDiff = Math.max(maxDiff, Math.abs(max + Math.log(sum) - p.get("logsumexp_last").asDouble()));
                assertTrue(maxDiff < 1e-3, p.get("prompt").asText() + ": max abs logit difference " + maxDiff);

                int[] argmax = new int[ids.length];
                for (int t = 0; t < ids.length; t++) argmax[t] = argmax(logits, t * vocab, vocab);
                assertArrayEquals(ints(p.get("argmax_per_position")), argmax, p.get("prompt").asText());

                int[] expected = ints(p.get("greedy_16_new_tokens"));
                int[] seq = Arrays.copyOf(ids, ids.length + expected.length);
                for (int g = 0; g < expected.length; g++) {
                    int n = ids.length + g;
                    float[] lastRow = model.forward(Arrays.copyOf(seq, n), n - 1);
                    seq[n] = argmax(lastRow, 0, vocab);
                }
                assertArrayEquals(expected, Arrays.copyOfRange(seq, ids.length, seq.length), p.get("prompt").asText() + " greedy");
            }
        }
    }
}
