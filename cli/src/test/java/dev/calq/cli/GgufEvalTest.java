package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.GgufFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** calq eval on a GGUF written by calq convert measures the same model as the Hugging Face folder it came from. */
class GgufEvalTest {
    @TempDir Path dir;

    @Test
    void f32GgufHasTheFoldersPerplexityAndTokenizesWikitextIdentically() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Path gguf = dir.resolve("tiny-f32.gguf");
        assertEquals(0, Main.commandLine().execute("convert", "--model", SharedData.tinyLlama().toString(),
                "--output", gguf.toString(), "--type", "F32"));

        String text = Files.readString(SharedData.wikiTest());
        Tokenizer fromFolder = Tokenizers.load(SharedData.tinyLlama());
        Tokenizer fromGguf = Tokenizers.load(gguf);
        assertEquals(fromFolder.bosId(), fromGguf.bosId());
        assertEquals(fromFolder.eosId(), fromGguf.eosId());
        assertEquals(fromFolder.addBos(), fromGguf.addBos());
        assertArrayEquals(fromFolder.encode(text), fromGguf.encode(text), "wiki.test.raw tokenizes differently from GGUF metadata");

        JsonNode hf = eval(SharedData.tinyLlama(), "--chunks", "1");
        JsonNode g = eval(gguf, "--chunks", "1");
        assertEquals(hf.get("tokens_scored").asInt(), g.get("tokens_scored").asInt());
        assertEquals(hf.get("ppl").asDouble(), g.get("ppl").asDouble(), 1e-6 * hf.get("ppl").asDouble());
        // --tokenizer takes the tokenizer from elsewhere (here the folder) and changes nothing for this model.
        JsonNode withFolderTokenizer = eval(gguf, "--chunks", "1", "--tokenizer", SharedData.tinyLlama().toString());
        assertEquals(g.get("ppl").asDouble(), withFolderTokenizer.get("ppl").asDouble());
    }

    @Test
    void byteLevelBpeGgufNeedsNoTokenizerFolder() throws Exception {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Assumptions.assumeTrue(Files.isDirectory(SharedData.llama3Bpe()), "no " + SharedData.llama3Bpe());
        Path gguf = dir.resolve("llama3-q8.gguf");
        assertEquals(0, Main.commandLine().execute("convert", "--model", SharedData.llama3Bpe().toString(),
                "--output", gguf.toString(), "--type", "Q8_0"));
        try (GgufFile g = GgufFile.open(gguf)) { // llama.cpp's converter names this tokenizer so (by its probe hash)
            assertEquals("llama-bpe", g.get("tokenizer.ggml.pre").asString());
        }
        String text = Files.readString(SharedData.wikiTest());
        Tokenizer fromFolder = Tokenizers.load(SharedData.llama3Bpe());
        Tokenizer fromGguf = Tokenizers.load(gguf);
        assertEquals(128000, fromGguf.bosId());
        assertEquals(fromFolder.eosId(), fromGguf.eosId());
        assertTrue(fromGguf.addBos());
        int[] ids = fromGguf.encode(text);
        assertEquals(289_076, ids.length); // the model README: 289,077 with BOS
        assertArrayEquals(fromFolder.encode(text), ids, "wiki.test.raw tokenizes differently from GGUF metadata");
        // (eval takes its tokenizer from Tokenizers.load(gguf) when no --tokenizer is given, as the F32 test above shows)
    }

    private static JsonNode eval(Path model, String... extra) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(Writer.nullWriter(), true));
        List<String> args = new ArrayList<>(List.of("eval", "--model", model.toString(), "--text", SharedData.wikiTest().toString(),
                "--json", "--ctx", "512"));
        args.addAll(List.of(extra));
        assertEquals(0, cl.execute(args.toArray(String[]::new)), "eval " + model + " failed");
        JsonNode r = new ObjectMapper().readTree(out.toString());
        assertTrue(r.get("ppl").asDouble() > 1, r.toString());
        return r;
    }
}
