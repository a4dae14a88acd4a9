package dev.calq.cli.plot;

import dev.calq.formats.gguf.quant.GgmlType;
import dev.calq.gptq.sensitivity.SensitivityReport;
import dev.calq.gptq.sensitivity.SensitivityTable;
import dev.calq.gptq.sensitivity.TensorSensitivity;
import dev.calq.gptq.sensitivity.TypeCost;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;

/**
 * The sensitivity report's two pictures: {@code heatmap.png} (layer x projection, predicted KL at Q4_K on a log
 * scale) and {@code size-kl.png} (predicted KL against file size). The report itself is the gptq module's; the
 * chart library stays in the command line.
 */
public final class SensitivityCharts implements SensitivityReport.Plots {
    @Override
    public void draw(Path dir, SensitivityTable table, List<SensitivityReport.Point> mixes, List<SensitivityReport.Point> curve) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BitmapEncoder.saveBitmap(heatmap(table), dir.resolve("heatmap.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        BitmapEncoder.saveBitmap(sizeKl(mixes, curve), dir.resolve("size-kl.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static HeatMapChart heatmap(SensitivityTable table) {
        List<String> kinds = new ArrayList<>();
        List<Integer> layers = new ArrayList<>();
        for (TensorSensitivity t : table.tensors()) {
            if (t.layer() < 0) continue;
            if (!kinds.contains(t.kind())) kinds.add(t.kind());
            if (!layers.contains(t.layer())) layers.add(t.layer());
        }
        List<Number[]> cells = new ArrayList<>();
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (TensorSensitivity t : table.tensors()) {
            if (t.layer() < 0) continue;
            TypeCost c = t.cost(GgmlType.Q4_K);
            if (c == null) c = t.costs().get(t.costs().size() / 2);
            double v = Math.log10(Math.max(c.predictedKl(), 1e-12));
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
            cells.add(new Number[] {layers.indexOf(t.layer()), kinds.indexOf(t.kind()), v});
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(200 + 60 * layers.size()).height(520)
                .title("Sensitivity: log10 predicted KL divergence at Q4_K").xAxisTitle("layer").yAxisTitle("projection").build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setHeatMapValueDecimalPattern("0.0");
        chart.getStyler().setRangeColors(new Color[] {new Color(0xf7fbff), new Color(0x6baed6), new Color(0x08306b)});
        chart.getStyler().setMin(Math.floor(lo));
        chart.getStyler().setMax(Math.ceil(hi));
        chart.getStyler().setPlotContentSize(1.0);
        chart.addSeries("log10 KL", layers, kinds, cells);
        return chart;
    }

    static XYChart sizeKl(List<SensitivityReport.Point> mixes, List<SensitivityReport.Point> curve) {
        List<Charts.Series> series = new ArrayList<>();
        if (!curve.isEmpty())
            series.add(new Charts.Series("calq size target (2-6 bpw)", curve.stream().mapToDouble(p -> p.fileBytes() / 1048576.0).toArray(),
                    curve.stream().mapToDouble(SensitivityReport.Point::predictedKl).toArray(), null, true));
        series.add(new Charts.Series("llama-quantize mixes", mixes.stream().mapToDouble(p -> p.fileBytes() / 1048576.0).toArray(),
                mixes.stream().mapToDouble(SensitivityReport.Point::predictedKl).toArray(), mixes.stream().map(SensitivityReport.Point::label).toList(), false));
        return Charts.xy(new Charts.Layout("Predicted KL divergence against file size", "file size (MiB)", "predicted KL divergence",
                false, true, 900, 600), series);
    }
}
