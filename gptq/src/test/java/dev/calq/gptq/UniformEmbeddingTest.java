package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.formats.imatrix.ImportanceMatrix;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GGUF GPTQ's token_embd importance: uniform for a K-type or an IQ1-IQ3 codebook type without an entry, nothing else touched. */
class UniformEmbeddingTest {
    private static final ImportanceMatrix IM = new ImportanceMatrix(
            Map.of("blk.0.attn_q.weight", ImportanceMatrix.Entry.of(new float[] {4, 8, 12}, null, 4)), 1, 512, List.of("c.txt"));

    @Test
    void kTypeEmbeddingGetsOnesAndTheRestStays() {
        ImportanceMatrix im = GgufGptqJob.withUniformEmbedding(IM, Map.of("token_embd.weight", GgmlType.Q2_K), 3);
        assertArrayEquals(new float[] {1, 1, 1}, im.importance("token_embd.weight"));
        assertArrayEquals(new float[] {1, 2, 3}, im.importance("blk.0.attn_q.weight"));
    }

    @Test
    void codebookTypeEmbeddingGetsOnes() {
        ImportanceMatrix im = GgufGptqJob.withUniformEmbedding(IM, Map.of("token_embd.weight", GgmlType.IQ3_S), 3);
        assertArrayEquals(new float[] {1, 1, 1}, im.importance("token_embd.weight"));
    }

    @Test
    void otherTypesAndExistingEntriesAreLeftAlone() {
        assertSame(IM, GgufGptqJob.withUniformEmbedding(IM, Map.of("token_embd.weight", GgmlType.Q4_0), 3));
        assertSame(IM, GgufGptqJob.withUniformEmbedding(IM, Map.of("blk.0.attn_q.weight", GgmlType.Q2_K), 3));
        ImportanceMatrix own = GgufGptqJob.withUniformEmbedding(IM, Map.of("token_embd.weight", GgmlType.Q3_K), 3);
        assertSame(own, GgufGptqJob.withUniformEmbedding(own, Map.of("token_embd.weight", GgmlType.Q3_K), 3));
    }
}
