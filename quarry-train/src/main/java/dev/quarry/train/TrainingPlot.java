package dev.quarry.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The loss curve (per step and smoothed) above the evaluation curves (NDCG@10, MRR@10, Recall@10), as a PNG. */
public final class TrainingPlot {
  private TrainingPlot() {}

  public static void write(TrainingLog log, Path png, String title) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeries raw = new XYSeries("loss");
    XYSeries smooth = new XYSeries("loss (moving average of 10)");
    List<TrainingLog.StepRecord> steps = log.steps();
    double window = 0;
    for (int i = 0; i < steps.size(); i++) {
      raw.add(steps.get(i).step(), steps.get(i).loss());
      window += steps.get(i).loss();
      if (i >= 10) {
        window -= steps.get(i - 10).loss();
      }
      smooth.add(steps.get(i).step(), window / Math.min(i + 1, 10));
    }
    XYSeriesCollection lossData = new XYSeriesCollection();
    lossData.addSeries(raw);
    lossData.addSeries(smooth);
    XYLineAndShapeRenderer lossRenderer = new XYLineAndShapeRenderer(true, false);
    lossRenderer.setSeriesPaint(0, new Color(160, 190, 230));
    lossRenderer.setSeriesPaint(1, new Color(20, 70, 160));
    lossRenderer.setSeriesStroke(1, new BasicStroke(2f));
    XYPlot lossPlot = new XYPlot(lossData, null, new NumberAxis("training loss"), lossRenderer);

    XYSeriesCollection evalData = new XYSeriesCollection();
    for (String metric : List.of("ndcg@10", "mrr@10", "recall@10")) {
      XYSeries s = new XYSeries(metric.toUpperCase(Locale.ROOT));
      for (TrainingLog.EvalRecord e : log.evals()) {
        Double v = e.metrics().get(metric);
        if (v != null) {
          s.add(e.step(), v);
        }
      }
      evalData.addSeries(s);
    }
    XYLineAndShapeRenderer evalRenderer = new XYLineAndShapeRenderer(true, true);
    NumberAxis evalAxis = new NumberAxis("evaluation");
    evalAxis.setAutoRangeIncludesZero(false);
    XYPlot evalPlot = new XYPlot(evalData, null, evalAxis, evalRenderer);

    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("step"));
    plot.add(lossPlot, 3);
    if (!log.evals().isEmpty()) {
      plot.add(evalPlot, 2);
    }
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1000, 700);
  }

  /**
   * Several runs on one chart: the smoothed loss above NDCG@10, both over epochs (runs of other
   * batch sizes take other numbers of steps per epoch, so steps would not line up).
   */
  public static void compare(Map<String, TrainingLog> runs, Path png, String title) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection lossData = new XYSeriesCollection();
    XYSeriesCollection evalData = new XYSeriesCollection();
    for (Map.Entry<String, TrainingLog> run : runs.entrySet()) {
      List<TrainingLog.StepRecord> steps = run.getValue().steps();
      Map<Integer, Long> perEpoch = steps.stream().collect(Collectors.groupingBy(TrainingLog.StepRecord::epoch, Collectors.counting()));
      XYSeries loss = new XYSeries(run.getKey(), false);
      int smoothing = Math.max(1, steps.size() / 20);
      double window = 0;
      for (int i = 0; i < steps.size(); i++) {
        window += steps.get(i).loss();
        if (i >= smoothing) {
          window -= steps.get(i - smoothing).loss();
        }
        loss.add(epochs(steps.get(i).step(), perEpoch), window / Math.min(i + 1, smoothing));
      }
      lossData.addSeries(loss);
      XYSeries ndcg = new XYSeries(run.getKey(), false);
      run.getValue().evals().forEach(e -> ndcg.add(epochs(e.step(), perEpoch), e.ndcg10()));
      evalData.addSeries(ndcg);
    }
    XYLineAndShapeRenderer lossRenderer = new XYLineAndShapeRenderer(true, false);
    XYLineAndShapeRenderer evalRenderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < runs.size(); i++) { // one colour per run in both panels; one legend entry
      Color c = PALETTE[i % PALETTE.length];
      lossRenderer.setSeriesPaint(i, c);
      evalRenderer.setSeriesPaint(i, c);
      evalRenderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    lossRenderer.setDefaultSeriesVisibleInLegend(false);
    XYPlot lossPlot = new XYPlot(lossData, null, new NumberAxis("training loss (moving average)"), lossRenderer);
    NumberAxis evalAxis = new NumberAxis("NDCG@10");
    evalAxis.setAutoRangeIncludesZero(false);
    XYPlot evalPlot = new XYPlot(evalData, null, evalAxis, evalRenderer);
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("epoch"));
    plot.add(lossPlot, 1);
    plot.add(evalPlot, 1);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1100, 800);
  }

  /** Distinct, readable on white (a colour-blind-safe set after Okabe and Ito, then greys). */
  private static final Color[] PALETTE = {new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115),
      new Color(204, 121, 167), new Color(86, 180, 233), new Color(230, 159, 0), new Color(0, 0, 0), new Color(120, 120, 120)};

  /** Steps done → epochs done, from how many steps each epoch took. */
  private static double epochs(int step, Map<Integer, Long> perEpoch) {
    double done = 0;
    int remaining = step;
    for (int e = 0; perEpoch.containsKey(e); e++) {
      long n = perEpoch.get(e);
      if (remaining <= n) {
        return done + (double) remaining / n;
      }
      done += 1;
      remaining -= (int) n;
    }
    return done;
  }
}
