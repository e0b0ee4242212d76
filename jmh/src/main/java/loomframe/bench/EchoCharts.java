package loomframe.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import loomframe.bench.figures.BenchFigures;
import loomframe.bench.figures.BenchFigures.EchoCase;
import loomframe.bench.figures.BenchFigures.Stat;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The echo charts, from EchoRounds' results: bars are medians over rounds, whiskers span the
 * min-max over rounds. Rows where some server is more than 5× away from Netty either way
 * (a stall, not a difference of style) go to a chart of their own, so they do not squash the scale
 * of the others.
 */
final class EchoCharts {
    private EchoCharts() {}

    static void draw(Path docs, List<EchoCase> cases) throws IOException {
        List<EchoCase> normal = cases.stream().filter(c -> !c.pathological()).toList();
        List<EchoCase> odd = cases.stream().filter(EchoCase::pathological).toList();
        List<String> goals = BenchFigures.GOALS.stream().map(BenchFigures.Goal::caseName).toList();
        List<EchoCase> headline = normal.stream().filter(c -> goals.contains(c.name())).toList();
        List<String> vsNetty = List.of("blocking", "async", "platform", "rawecho");
        if (!headline.isEmpty()) {
            ratioChart(docs.resolve("bench-echo-ratio.png"), headline, vsNetty, EchoCase::ratio,
                    "Echo frames/s ÷ Netty's, the goal cases (median of rounds, min–max; higher is better)", "frames/s ÷ Netty's frames/s");
        }
        if (!normal.isEmpty()) {
            ratioChart(docs.resolve("bench-echo-ratio-all.png"), normal, vsNetty, EchoCase::ratio,
                    "Echo frames/s ÷ Netty's, every case (median of rounds, min–max; higher is better)", "frames/s ÷ Netty's frames/s");
            ratioChart(docs.resolve("bench-echo-cpu.png"), normal, vsNetty, EchoCase::cpuRatio,
                    "Server CPU per frame ÷ Netty's (whole server process; median of rounds, min–max; lower is better)",
                    "server CPU per frame ÷ Netty's");
            p99Chart(docs.resolve("bench-echo-p99.png"), normal);
        }
        if (!odd.isEmpty()) {
            ratioChart(docs.resolve("bench-echo-pathological.png"), odd, vsNetty, EchoCase::ratio,
                    "Pathological rows: frames/s ÷ Netty's where a server stalls (log scale)", "frames/s ÷ Netty's frames/s (log scale)");
        }
    }

    static void ratioChart(Path file, List<EchoCase> cases, List<String> servers, Function<EchoCase, Map<String, Stat>> metric,
                           String title, String axis) throws IOException {
        var data = new DefaultCategoryDataset();
        Map<String, Stat> ranges = new HashMap<>();
        double hi = 1;
        for (EchoCase c : cases) {
            for (String s : servers) {
                Stat st = metric.apply(c).get(s);
                if (st == null) continue;
                data.addValue(st.median(), s, c.label());
                ranges.put(s + "\u0000" + c.label(), st);
                hi = Math.max(hi, st.max());
            }
        }
        JFreeChart chart = ChartMaker.horizontalBars(title, axis, data);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setRenderer(new RangeBarRenderer(ranges, (BarRenderer) plot.getRenderer()));
        if (axis.contains("log scale")) {
            LogAxis log = new LogAxis(axis);
            log.setNumberFormatOverride(new DecimalFormat("#,##0.##×"));
            SweepCharts.decades(log);
            plot.setRangeAxis(log);
        } else {
            // A plain linear axis with a few round ticks: readable labels ("0.5×", "1×", "1.5×").
            NumberAxis linear = new NumberAxis(axis);
            linear.setRange(0, hi * 1.15);
            linear.setNumberFormatOverride(new DecimalFormat("0.##×"));
            linear.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(hi > 4 ? 1 : hi > 2 ? 0.5 : 0.25));
            linear.setTickLabelFont(new Font("SansSerif", Font.PLAIN, 13));
            plot.setRangeAxis(linear);
        }
        ValueMarker one = new ValueMarker(1.0, Color.BLACK, new BasicStroke(2f));
        one.setLabel("Netty = 1");
        one.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
        one.setLabelTextAnchor(TextAnchor.TOP_LEFT);
        plot.addRangeMarker(one);
        colour(plot, data);
        ChartMaker.save(file, chart, 1200, 180 + 75 * data.getColumnCount());
    }

    static void p99Chart(Path file, List<EchoCase> cases) throws IOException {
        var data = new DefaultCategoryDataset();
        Map<String, Stat> ranges = new HashMap<>();
        for (EchoCase c : cases) {
            for (String s : List.of("blocking", "async", "platform", "netty", "rawecho")) {
                Stat st = c.p99().get(s);
                if (st == null) continue;
                Stat ms = new Stat(st.median() / 1000, st.min() / 1000, st.max() / 1000, st.n());
                data.addValue(ms.median(), s, c.label());
                ranges.put(s + "\u0000" + c.label(), ms);
            }
        }
        JFreeChart chart = ChartMaker.horizontalBars("p99 round-trip latency, ms (median of rounds, min–max; lower is better)",
                "p99 ms (log scale)", data);
        CategoryPlot plot = chart.getCategoryPlot();
        RangeBarRenderer r = new RangeBarRenderer(ranges, (BarRenderer) plot.getRenderer());
        plot.setRenderer(r);
        LogAxis log = new LogAxis("p99 ms, from the load generator's histogram (log scale)");
        log.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
        SweepCharts.decades(log);
        double lo = ranges.values().stream().mapToDouble(Stat::min).filter(v -> v > 0).min().orElse(0.01);
        double hi = ranges.values().stream().mapToDouble(Stat::max).max().orElse(100);
        log.setRange(lo / 2, hi * 2);
        plot.setRangeAxis(log);
        r.setBase(lo / 2);
        colour(plot, data);
        ChartMaker.save(file, chart, 1200, 180 + 90 * data.getColumnCount());
    }

    private static void colour(CategoryPlot plot, CategoryDataset data) {
        for (int i = 0; i < data.getRowCount(); i++) {
            Color c = ChartMaker.SERVER_COLORS.get(data.getRowKey(i).toString());
            if (c != null) plot.getRenderer().setSeriesPaint(i, c);
        }
    }

    /** Bars with a whisker from min to max over rounds. */
    static final class RangeBarRenderer extends BarRenderer {
        private final Map<String, Stat> ranges;

        RangeBarRenderer(Map<String, Stat> ranges, BarRenderer like) {
            this.ranges = ranges;
            setBarPainter(like.getBarPainter());
            setShadowVisible(false);
            setItemMargin(like.getItemMargin());
            setDefaultItemLabelGenerator(like.getDefaultItemLabelGenerator());
            setDefaultItemLabelsVisible(true);
            setDefaultItemLabelFont(like.getDefaultItemLabelFont());
            // The factory's label positions for this orientation (beside the bar end, not above the bar).
            setDefaultPositiveItemLabelPosition(like.getDefaultPositiveItemLabelPosition());
            setDefaultNegativeItemLabelPosition(like.getDefaultNegativeItemLabelPosition());
            setItemLabelAnchorOffset(8);
        }

        @Override
        public void drawItem(Graphics2D g2, CategoryItemRendererState state, Rectangle2D dataArea, CategoryPlot plot,
                             CategoryAxis domainAxis, ValueAxis rangeAxis, CategoryDataset dataset, int row, int column, int pass) {
            super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column, pass);
            Stat st = ranges.get(dataset.getRowKey(row) + "\u0000" + dataset.getColumnKey(column));
            if (st == null || st.n() < 2 || pass != 0) return;
            PlotOrientation o = plot.getOrientation();
            double w0 = calculateBarW0(plot, o, dataArea, domainAxis, state, row, column);
            double mid = w0 + state.getBarWidth() / 2;
            double lo = rangeAxis.valueToJava2D(st.min(), dataArea, plot.getRangeAxisEdge());
            double hi = rangeAxis.valueToJava2D(st.max(), dataArea, plot.getRangeAxisEdge());
            double cap = state.getBarWidth() / 4;
            g2.setPaint(Color.BLACK);
            g2.setStroke(new BasicStroke(1.2f));
            if (o == PlotOrientation.HORIZONTAL) {
                g2.draw(new Line2D.Double(lo, mid, hi, mid));
                g2.draw(new Line2D.Double(lo, mid - cap, lo, mid + cap));
                g2.draw(new Line2D.Double(hi, mid - cap, hi, mid + cap));
            } else {
                g2.draw(new Line2D.Double(mid, lo, mid, hi));
                g2.draw(new Line2D.Double(mid - cap, lo, mid + cap, lo));
                g2.draw(new Line2D.Double(mid - cap, hi, mid + cap, hi));
            }
        }
    }
}
