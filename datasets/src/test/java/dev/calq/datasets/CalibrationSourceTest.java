package dev.calq.datasets;

import dev.calq.formats.CalqException;
import io.airlift.compress.zstd.ZstdOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class CalibrationSourceTest {
    @TempDir Path dir;

    @Test
    void plainTextSplitsAtBlankLinesAndKeepsTheExactText() throws Exception {
        String content = "First paragraph,\nstill first.\n\n\nSecond.\n   \nThird\n";
        Path f = write("cal.txt", content);
        CalibrationSource s = CalibrationSource.parse(f.toString(), null);
        assertEquals(CalibrationSource.Kind.TEXT, s.kind());
        assertEquals(List.of("First paragraph,\nstill first.", "Second.", "Third"), s.documents());
        assertEquals(content, s.text());
        assertEquals(List.of("one line of text"), CalibrationSource.parse(write("one.txt", "one line of text").toString(), null).documents());
    }

    @Test
    void jsonLinesUseTheTextField() throws Exception {
        Path f = write("data.jsonl", "{\"text\": \"alpha\", \"id\": 1}\n\n{\"text\": \"beta\\ngamma\"}\n{\"text\": \"  \"}\n");
        CalibrationSource s = CalibrationSource.parse(f.toString(), null);
        assertEquals(CalibrationSource.Kind.JSONL, s.kind());
        assertEquals(List.of("alpha", "beta\ngamma"), s.documents());
        assertEquals("alpha\n\nbeta\ngamma", s.text());

        Path g = write("chat.jsonl", "{\"content\": \"x\"}\n{\"content\": \"y\"}\n");
        assertEquals(List.of("x", "y"), CalibrationSource.parse(g.toString(), "content").documents());
        var e = assertThrows(CalqException.class, () -> CalibrationSource.parse(g.toString(), null).documents());
        assertEquals(g + ": line 1 has no string field \"text\" (choose one with --text-field)", e.getMessage());

        Path bad = write("bad.jsonl", "{\"text\": \"ok\"}\n{oops\n");
        var e2 = assertThrows(CalqException.class, () -> CalibrationSource.parse(bad.toString(), null).documents());
        assertEquals(bad + ": line 2 is not valid JSON", e2.getMessage());
    }

    @Test
    void compressedJsonLines() throws Exception {
        byte[] jsonl = "{\"text\": \"zipped\"}\n{\"text\": \"twice\"}\n".getBytes(StandardCharsets.UTF_8);
        Path gz = dir.resolve("c4.json.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) { o.write(jsonl); }
        assertEquals(List.of("zipped", "twice"), CalibrationSource.parse(gz.toString(), null).documents());
        Path zst = dir.resolve("val.jsonl.zst");
        try (OutputStream o = new ZstdOutputStream(Files.newOutputStream(zst))) { o.write(jsonl); }
        CalibrationSource s = CalibrationSource.parse(zst.toString(), null);
        assertEquals(CalibrationSource.Kind.JSONL, s.kind());
        assertEquals(List.of("zipped", "twice"), s.documents());
    }

    @Test
    void folderOfTextFilesInNameOrder() throws Exception {
        Path f = Files.createDirectory(dir.resolve("corpus"));
        Files.writeString(f.resolve("b.txt"), "bravo\n");
        Files.writeString(f.resolve("a.txt"), "alpha\n\nstill alpha");
        Files.writeString(f.resolve("notes.md"), "ignored");
        Files.writeString(f.resolve("empty.txt"), "\n");
        CalibrationSource s = CalibrationSource.parse(f.toString(), null);
        assertEquals(CalibrationSource.Kind.FOLDER, s.kind());
        assertEquals(List.of("alpha\n\nstill alpha", "bravo\n"), s.documents());
        assertEquals("alpha\n\nstill alpha\n\nbravo\n", s.text());

        Path empty = Files.createDirectory(dir.resolve("nothing"));
        var e = assertThrows(CalqException.class, () -> CalibrationSource.parse(empty.toString(), null).documents());
        assertEquals(empty + ": folder has no .txt files", e.getMessage());
    }

    @Test
    void wikitextRawRowsAreItsLines() throws Exception {
        String raw = " \n = Title = \n \n Body text , with @-@ tokens . \n \n = = Section = = \n";
        Path f = write("wiki.train.raw", raw);
        CalibrationSource s = CalibrationSource.parse(f.toString(), null);
        assertEquals(CalibrationSource.Kind.WIKITEXT, s.kind());
        assertEquals(List.of(" = Title = ", " Body text , with @-@ tokens . ", " = = Section = = "), s.documents());
        assertEquals(raw, s.text());
    }

    @Test
    void missingOrUnreadableInputIsOneClearLine() throws Exception {
        Path missing = dir.resolve("nope.txt");
        var e = assertThrows(CalqException.class, () -> CalibrationSource.parse(missing.toString(), null));
        assertEquals(missing + ": no such file or folder (and not a named dataset: wikitext2, c4, pile-val)", e.getMessage());
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[]{'c', 'a', 'f', (byte) 0xE9, '\n'});
        var e2 = assertThrows(CalqException.class, () -> CalibrationSource.parse(latin1.toString(), null).documents());
        assertEquals(latin1 + ": not UTF-8 text", e2.getMessage());
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }
}
