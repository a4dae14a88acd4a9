package dev.calq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.calq.datasets.tokenizer.Tokenizer;
import dev.calq.datasets.tokenizer.Tokenizers;
import dev.calq.formats.SharedData;
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
