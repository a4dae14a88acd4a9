package dev.calq.cli.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.cli.Main;
import dev.calq.formats.CalqException;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotCommandTest {
    @TempDir Path dir;

    private static int run(StringWriter err, String... args) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void writesAPngOfTheRequestedSizeWithTheSeriesDrawn() throws Exception {
        Path csv = dir.resolve("r.csv");
        Files.writeString(csv, """
                # size vs KL
                type,mib,kld,who
                IQ2_XXS,21.9,0.60,calq
                "Q4_K_M, imatrix",36.7,0.021,calq
                IQ2_XXS,21.9,0.61,llama.cpp
                Q4_K_M,36.7,,llama.cpp
                """);
        Path png = dir.resolve("p.png");
        StringWriter err = new StringWriter();
        int code = run(err, "plot", "--csv", csv.toString(), "--x", "mib", "--y", "kld", "--label", "type", "--series", "who",
                "--log-y", "--width", "640", "--height", "400", "--title", "size vs KL", "--output", png.toString());
        assertEquals(0, code, err.toString());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        int colours = (int) java.util.stream.IntStream.range(0, 640 * 400).map(i -> img.getRGB(i % 640, i / 640)).distinct().count();
        assertTrue(colours > 20, "a drawn chart, not a blank image: " + colours + " colours");
        // refuses to overwrite, and names what is wrong in one line
        assertEquals(1, run(err, "plot", "--csv", csv.toString(), "--x", "mib", "--y", "kld", "--output", png.toString()));
        StringWriter e2 = new StringWriter();
        assertEquals(1, run(e2, "plot", "--csv", csv.toString(), "--x", "size", "--y", "kld", "--output", dir.resolve("q.png").toString()));
        assertTrue(e2.toString().contains("no column size") && e2.toString().contains("mib"), e2.toString());
        assertEquals(1, e2.toString().strip().lines().count(), e2.toString());
        assertFalse(Files.exists(dir.resolve("q.png")));
        // never replaces its input, even with --overwrite
        String before = Files.readString(csv);
        StringWriter e3 = new StringWriter();
        assertEquals(1, run(e3, "plot", "--csv", csv.toString(), "--x", "mib", "--y", "kld", "--output", csv.toString(), "--overwrite"));
        assertTrue(e3.toString().contains("the output would replace the input"), e3.toString());
        assertEquals(before, Files.readString(csv));
    }

    @Test
    void csvFieldsQuotesAndErrors() throws Exception {
        Path csv = dir.resolve("t.csv");
        Files.writeString(csv, "a,b\n\"x, \"\"y\"\"\",2.5\n");
        CsvTable t = CsvTable.read(csv);
        assertEquals("x, \"y\"", t.text(0, 0));
        assertEquals(2.5, t.number(0, t.column("b")));
        Files.writeString(csv, "a,b\n1\n");
        assertTrue(assertThrows(CalqException.class, () -> CsvTable.read(csv)).getMessage().contains("line 2 has 1 fields"));
        Files.writeString(csv, "a,b\n1,zz\n");
        assertTrue(assertThrows(CalqException.class, () -> CsvTable.read(csv).number(0, 1)).getMessage().contains("not a number: zz"));
    }

    @Test
    void pointsALogAxisCannotShowAreLeftOutAndAnEmptyChartIsRefused() {
        Charts.Layout log = new Charts.Layout("", "x", "y", false, true, 300, 200);
        var chart = Charts.xy(log, List.of(new Charts.Series("s", new double[] {1, 2, 3}, new double[] {0.1, 0, -1}, null, false)));
        assertEquals(1, chart.getSeriesMap().get("s").getXData().length);
        assertNotEquals(null, Charts.xy(new Charts.Layout("", "x", "y", false, false, 300, 200),
                List.of(new Charts.Series("s", new double[] {1, 2}, new double[] {0, -1}, List.of("a", "b"), true))));
        assertThrows(CalqException.class, () -> Charts.xy(log, List.of(new Charts.Series("s", new double[] {1}, new double[] {0}, null, false))));
    }
}
