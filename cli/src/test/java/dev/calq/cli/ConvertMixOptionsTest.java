package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.GgufFile;
import dev.calq.formats.gguf.quant.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama-quantize's --dry-run, --pure, --output-tensor-type, --token-embedding-type and imatrix refusal, on the shared model. */
class ConvertMixOptionsTest {
    @TempDir Path dir;

    @BeforeEach
    void needsSharedModel() { Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING); }

    private static String model() { return SharedData.tinyLlama().toString(); }

    @Test
    void dryRunListsEveryTensorAndWritesNothingEvenForTypesWithoutACodec() {
        Path out = dir.resolve("iq2.gguf");
        CliRun r = CliRun.of("convert", "--model", model(), "--output", out.toString(), "--type", "IQ2_XXS", "--dry-run");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("blk\\.0\\.attn_q\\.weight +IQ2_XXS +512x512 +2\\.063 .*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("output\\.weight +Q5_K .*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("blk\\.0\\.attn_v\\.weight +Q2_K .*")), r.out());
        // llama-quantize --dry-run on the F32 GGUF: "quant size = 22.21 MiB (3.22 BPW)"
        assertTrue(r.out().lines().anyMatch(l -> l.matches("total +75 +57942528 +22\\.21 +3\\.216")), r.out());
        assertTrue(r.out().contains("warning: writing it needs an importance matrix"), r.out());
        assertFalse(Files.exists(out));
    }

    @Test
    void mixesThatNeedAnImportanceMatrixAreRefusedWithoutOne() {
        Path out = dir.resolve("q2ks.gguf");
        CliRun r = CliRun.of("convert", "--model", model(), "--output", out.toString(), "--type", "Q2_K_S");
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("blk.0.attn_q.weight") && r.err().contains("importance matrix") && r.err().contains("--imatrix"), r.err());
        assertFalse(Files.exists(out));
        CliRun q = CliRun.of("quantize", "--model", model(), "--format", "gguf", "--output", out.toString(), "--type", "IQ1_S");
        assertEquals(1, q.code());
        assertTrue(q.err().contains("--imatrix FILE") && q.err().contains("--calibration"), q.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void pureAndExplicitOutputAndEmbeddingTypesAreWrittenAndTheDryRunSizeIsExact() throws Exception {
        Path out = dir.resolve("pure.gguf");
        String[] args = {"convert", "--model", model(), "--output", out.toString(), "--type", "Q4_K_M", "--pure",
                "--output-tensor-type", "q8_0", "--token-embedding-type", "q4_0"};
        CliRun dry = CliRun.of(concat(args, "--dry-run"));
        assertEquals(0, dry.code(), dry.err());
        Matcher m = Pattern.compile("would be (\\d+) bytes").matcher(dry.out());
        assertTrue(m.find(), dry.out());
        CliRun r = CliRun.of(args);
        assertEquals(0, r.code(), r.err());
        assertEquals(Long.parseLong(m.group(1)), Files.size(out));
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, g.tensor("output.weight").type());
            assertEquals(GgmlType.Q4_0, g.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q4_K, g.tensor("blk.0.attn_v.weight").type()); // Q4_K_M alone would give Q6_K
            assertEquals(GgmlType.Q4_K, g.tensor("blk.7.ffn_down.weight").type());
        }
    }

    private static String[] concat(String[] a, String b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }
}
