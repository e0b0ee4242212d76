package loomframe.bench;

import com.google.gson.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import loomframe.bench.figures.BenchFigures;
import loomframe.bench.figures.BenchFigures.SweepPoint;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The concurrency sweep's charts: one image per handler with four panels against connections
 * (log-log throughput with the Little's-law line, p99, threads, RSS), and the open-loop curve
 * (p99 against offered rate). Points a build does not support, or that failed, are left out; the
 * tables say which.
 */
final class SweepCharts {
    private SweepCharts() {}

    static void draw(Path docs, JsonObject sweep) throws IOException {
        List<SweepPoint> points = BenchFigures.sweepPoints(sweep, "points");
        Set<String> handlers = new LinkedHashSet<>();
        points.forEach(p -> handlers.add(p.handler()));
        for (String h : handlers) {
            List<SweepPoint> ps = points.stream().filter(p -> p.handler().equals(h) && p.measured()).toList();
            if (ps.isEmpty()) continue;
            double delay = ConcurrencySweep.delaySeconds(h);
            JFreeChart fps = chart("frames/s against connections", "frames/s", ps, SweepPoint::framesPerSecond);
            if (delay > 0) {
                // Little's law: with one frame in flight per connection, at most connections / delay frames/s.
                XYSeries little = new XYSeries("Little's law: connections ÷ " + h.substring(6));
                ps.stream().mapToInt(SweepPoint::connections).distinct().sorted().forEach(c -> little.add(c, c / delay));
                XYSeriesCollection data = (XYSeriesCollection) fps.getXYPlot().getDataset();
                data.addSeries(little);
                XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) fps.getXYPlot().getRenderer();
                int i = data.getSeriesCount() - 1;
                r.setSeriesPaint(i, Color.BLACK);
                r.setSeriesStroke(i, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 5f}, 0f));
                r.setSeriesShapesVisible(i, false);
            }
            JFreeChart p99 = chart("p99 latency against connections", "p99 ms", ps, p -> p.p99() / 1000);
            JFreeChart threads = chart("server threads against connections", "threads", ps, p -> p.threads());
            JFreeChart rss = chart("server RSS against connections", "RSS MiB", ps, p -> p.rssKib() / 1024.0);
            grid(docs.resolve("bench-sweep-" + h.replace(':', '-') + ".png"),
                    "Concurrency sweep, handler " + h + ", one frame in flight per connection", List.of(fps, p99, threads, rss));
        }
        List<SweepPoint> open = BenchFigures.sweepPoints(sweep, "open_loop").stream().filter(SweepPoint::measured).toList();
        if (!open.isEmpty()) {
            JFreeChart c = chart(String.format(Locale.ROOT, "Open loop, %,d connections × %s: p99 against offered rate",
                    open.get(0).connections(), open.get(0).handler()), "p99 ms", open, p -> p.p99() / 1000);
            ((LogAxis) c.getXYPlot().getDomainAxis()).setLabel("offered frames/s (log scale)");
            for (int i = 0; i < ((XYSeriesCollection) c.getXYPlot().getDataset()).getSeriesCount(); i++) {
                XYSeries s = ((XYSeriesCollection) c.getXYPlot().getDataset()).getSeries(i);
                s.clear();
                String server = s.getKey().toString();
                open.stream().filter(p -> p.server().equals(server)).forEach(p -> s.add(p.rate(), p.p99() / 1000));
            }
            c.addSubtitle(new TextTitle("loadgen --rate: latency from each frame's due time (no coordinated omission);"
                    + " drawn by ChartMaker from jmh/results/sweep.json", new Font("SansSerif", Font.PLAIN, 12)));
            ChartMaker.save(docs.resolve("bench-sweep-open-loop.png"), c, 1100, 650);
        }
    }

    /** One log-log chart, a series per server, x = connections. */
    private static JFreeChart chart(String title, String yLabel, List<SweepPoint> points, ToDoubleFunction<SweepPoint> y) {
        XYSeriesCollection data = new XYSeriesCollection();
        Set<String> servers = new LinkedHashSet<>();
        points.forEach(p -> servers.add(p.server()));
        for (String server : servers) {
            XYSeries s = new XYSeries(server);
            points.stream().filter(p -> p.server().equals(server)).forEach(p -> {
                double v = y.applyAsDouble(p);
                if (v > 0) s.add(p.connections(), v);
            });
            data.addSeries(s);
        }
        LogAxis x = new LogAxis("connections (log scale)");
        x.setNumberFormatOverride(new DecimalFormat("#,##0"));
        decades(x);
        ValueAxis yAxis = valueAxis(yLabel, data);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        int i = 0;
        for (String server : servers) {
            Color c = ChartMaker.SERVER_COLORS.get(server);
            if (c != null) r.setSeriesPaint(i, c);
            r.setSeriesStroke(i++, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, x, yAxis, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * A log axis with a labelled tick per decade when the values span more than a decade and a half
     * (frames/s, latency); else a linear one (threads, RSS), whose automatic ticks stay readable.
     */
    static ValueAxis valueAxis(String label, XYSeriesCollection data) {
        double lo = Double.MAX_VALUE, hi = 0;
        for (int i = 0; i < data.getSeriesCount(); i++) {
            for (int j = 0; j < data.getItemCount(i); j++) {
                double v = data.getYValue(i, j);
                if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
            }
        }
        if (hi > 0 && hi / lo > 30) {
            LogAxis log = new LogAxis(label + " (log scale)");
            log.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
            decades(log);
            return log;
        }
        NumberAxis linear = new NumberAxis(label);
        linear.setAutoRangeIncludesZero(true);
        linear.setNumberFormatOverride(new DecimalFormat("#,##0.##"));
        linear.setTickLabelFont(new Font("SansSerif", Font.PLAIN, 12));
        return linear;
    }

    /** One labelled tick per power of ten (1, 10, 100, 1,000), minor ticks between: readable labels. */
    static void decades(LogAxis a) {
        a.setTickUnit(new NumberTickUnit(1.0));
        a.setMinorTickCount(9);
        a.setMinorTickMarksVisible(true);
        a.setTickLabelFont(new Font("SansSerif", Font.PLAIN, 12));
        a.setSmallestValue(1e-3);
    }

    /** Four charts in one image, two by two, under one title. */
    private static void grid(Path file, String title, List<JFreeChart> charts) throws IOException {
        int w = 1600, h = 1240, top = 40;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(Color.WHITE);
        g.fillRect(0, 0, w, h);
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i).draw(g, new Rectangle2D.Double((i % 2) * w / 2.0, top + 20 + (i / 2) * (h - top - 20) / 2.0, w / 2.0, (h - top - 20) / 2.0));
        }
        g.setPaint(Color.BLACK);
        g.setFont(new Font("SansSerif", Font.BOLD, 18));
        g.drawString(title, 20, 28);
        g.setFont(new Font("SansSerif", Font.PLAIN, 12));
        g.drawString("drawn by ChartMaker from jmh/results/sweep.json; unsupported or failed points left out", 20, 48);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
        System.out.println("wrote " + file);
    }
}
