package dev.calq.cli.plot;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * calq's charts, drawn with XChart and written as PNG: an x-y chart of one or more series of points (optionally
 * joined by lines, optionally labelled point by point), on linear or logarithmic axes. Reused for size-versus-KL
 * plots and later result charts.
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true"); // no display on servers; XChart only needs Java2D
    }

    /** One series: its points in drawing order, an optional label per point (null for none), and whether to join them. */
    public record Series(String name, double[] x, double[] y, List<String> labels, boolean joined) {
        public Series {
            if (x.length != y.length || labels != null && labels.size() != x.length)
                throw new IllegalArgumentException(name + ": " + x.length + " x values, " + y.length + " y values");
        }
    }

    /** Axis titles, log scales and size of a chart. */
    public record Layout(String title, String xTitle, String yTitle, boolean logX, boolean logY, int width, int height) {}

    private Charts() {}

    /** Builds the chart; points with a NaN coordinate, or a non-positive one on a log axis, are left out. */
    public static XYChart xy(Layout layout, List<Series> series) {
        XYChart chart = new XYChartBuilder().width(layout.width()).height(layout.height()).title(layout.title())
                .xAxisTitle(layout.xTitle()).yAxisTitle(layout.yTitle()).build();
        var st = chart.getStyler();
        st.setXAxisLogarithmic(layout.logX());
        st.setYAxisLogarithmic(layout.logY());
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xDD, 0xDD, 0xDD));
        st.setMarkerSize(8);
        st.setAnnotationTextFontColor(Color.DARK_GRAY);
        for (Series s : series) {
            int n = 0;
            for (int i = 0; i < s.x().length; i++) if (drawable(s, i, layout)) n++;
            if (n == 0) continue;
            double[] x = new double[n], y = new double[n];
            for (int i = 0, j = 0; i < s.x().length; i++) {
                if (!drawable(s, i, layout)) continue;
                x[j] = s.x()[i];
                y[j++] = s.y()[i];
                if (s.labels() != null && s.labels().get(i) != null && !s.labels().get(i).isEmpty())
                    chart.addAnnotation(new AnnotationText(rightOfPoint(s.labels().get(i)), s.x()[i], s.y()[i], false));
            }
            XYSeries xs = chart.addSeries(s.name(), x, y);
            xs.setMarker(SeriesMarkers.CIRCLE);
            xs.setXYSeriesRenderStyle(s.joined() ? XYSeries.XYSeriesRenderStyle.Line : XYSeries.XYSeriesRenderStyle.Scatter);
        }
        if (chart.getSeriesMap().isEmpty()) throw new CalqException("nothing to plot: every point has a missing or (on a log axis) non-positive value");
        return chart;
    }

    /** XChart centres annotation text on its point; leading spaces as wide as the label put it just right of the marker. */
    private static String rightOfPoint(String label) { return " ".repeat(label.length() + 2) + label; }

    private static boolean drawable(Series s, int i, Layout layout) {
        double x = s.x()[i], y = s.y()[i];
        if (!Double.isFinite(x) || !Double.isFinite(y)) return false;
        return (!layout.logX() || x > 0) && (!layout.logY() || y > 0);
    }

    /** Writes the chart as a PNG file, atomically. */
    public static void writePng(XYChart chart, Path out, boolean overwrite) {
        AtomicOutput.checkTarget(out, overwrite);
        Path temp = AtomicOutput.tempSibling(out);
        try {
            Files.write(temp, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
            AtomicOutput.commit(temp, out, overwrite);
        } catch (IOException e) {
            AtomicOutput.discard(temp);
            throw CalqException.file(out, "cannot write: " + e.getMessage());
        }
    }
}
