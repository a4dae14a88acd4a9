package dev.calq.cli.plot;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code calq plot}: an x-y chart of two columns of a results CSV, as PNG. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Plot two columns of a CSV of results (e.g. file size against mean KL divergence) as a PNG chart.")
public final class PlotCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--csv", required = true, paramLabel = "FILE", description = "Results: a header row of column names, then one row per point.")
    Path csv;

    @Option(names = "--x", required = true, paramLabel = "COLUMN", description = "Column for the x axis.")
    String x;

    @Option(names = "--y", required = true, paramLabel = "COLUMN", description = "Column for the y axis.")
    String y;

    @Option(names = "--label", paramLabel = "COLUMN", description = "Column whose text labels each point.")
    String label;

    @Option(names = "--series", paramLabel = "COLUMN", description = "Column whose value groups rows into series (one colour and legend entry each).")
    String series;

    @Option(names = "--join", description = "Join each series' points by a line, in order of x.")
    boolean join;

    @Option(names = "--log-x", description = "Logarithmic x axis.")
    boolean logX;

    @Option(names = "--log-y", description = "Logarithmic y axis.")
    boolean logY;

    @Option(names = "--title", defaultValue = "", description = "Chart title.")
    String title;

    @Option(names = "--x-title", description = "x axis title (default: the column name).")
    String xTitle;

    @Option(names = "--y-title", description = "y axis title (default: the column name).")
    String yTitle;

    @Option(names = "--width", defaultValue = "1000", description = "Width in pixels (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--height", defaultValue = "650", description = "Height in pixels (default: ${DEFAULT-VALUE}).")
    int height;

    @Option(names = "--output", required = true, paramLabel = "FILE.png", description = "PNG file to write.")
    Path output;

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Override public Integer call() {
        if (width < 100 || height < 100 || width > 10000 || height > 10000)
            throw new dev.calq.formats.CalqException("--width and --height must be between 100 and 10000 pixels");
        CsvPlot.Result r = CsvPlot.write(new CsvPlot.Options(csv, x, y, label, series, join,
                new Charts.Layout(title, xTitle != null ? xTitle : x, yTitle != null ? yTitle : y, logX, logY, width, height), output, overwrite));
        spec.commandLine().getOut().printf("wrote %s (%d points in %d series)%n", output, r.points(), r.series());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
