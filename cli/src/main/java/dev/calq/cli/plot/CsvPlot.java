package dev.calq.cli.plot;

import dev.calq.formats.AtomicOutput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code calq plot}'s job: the rows of a results CSV grouped into series and drawn as one x-y chart. */
public final class CsvPlot {
    /**
     * @param label  the column whose text labels each point (null: none)
     * @param series the column whose value groups rows into series (null: one series named after {@code y})
     * @param join   join each series' points by a line, in order of x
     */
    public record Options(Path csv, String x, String y, String label, String series, boolean join, Charts.Layout layout, Path output,
                          boolean overwrite) {}

    /** What was drawn: the points and the series. */
    public record Result(int points, int series) {}

    private CsvPlot() {}

    public static Result write(Options o) {
        AtomicOutput.checkTarget(o.output(), o.overwrite(), o.csv());
        CsvTable t = CsvTable.read(o.csv());
        int xc = t.column(o.x()), yc = t.column(o.y());
        int lc = o.label() == null ? -1 : t.column(o.label()), sc = o.series() == null ? -1 : t.column(o.series());
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int r = 0; r < t.size(); r++) groups.computeIfAbsent(sc < 0 ? o.y() : t.text(r, sc), k -> new ArrayList<>()).add(r);
        List<Charts.Series> all = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            List<Integer> rows = new ArrayList<>(g.getValue());
            if (o.join()) rows.sort(Comparator.comparingDouble(r -> t.number(r, xc)));
            double[] xs = new double[rows.size()], ys = new double[rows.size()];
            List<String> labels = lc < 0 ? null : new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                xs[i] = t.number(rows.get(i), xc);
                ys[i] = t.number(rows.get(i), yc);
                if (labels != null) labels.add(t.text(rows.get(i), lc));
            }
            all.add(new Charts.Series(g.getKey(), xs, ys, labels, o.join()));
        }
        Charts.writePng(Charts.xy(o.layout(), all), o.output(), o.overwrite());
        return new Result(t.size(), all.size());
    }
}
