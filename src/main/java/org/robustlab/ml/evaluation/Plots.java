package org.robustlab.ml.evaluation;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG pictures for reports: charts drawn with XChart, image grids with Java2D (headless). */
public final class Plots {

    /**
     * Ten colours (matplotlib's tab10) and four markers: series k gets colour k mod 10 and marker k mod 4, so twenty
     * series in a row look different.
     */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND,
        SeriesMarkers.TRIANGLE_UP};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {}

    /**
     * One line of a chart: points in order, each {x, y} or {x, y, e} where e is the y value's error (drawn as a bar of
     * y - e to y + e, for example the standard deviation over seeds; NaN or absent: none).
     */
    public record Series(String name, List<double[]> points) {}

    /** Accuracy (0..1) against epsilon, one line per series, with a legend. */
    public static byte[] accuracyVsEpsilon(String title, List<Series> series) {
        return xy(title, "epsilon (L-inf, [0,1] pixels)", "accuracy", series, 0, Double.NaN, 0, 1, false);
    }

    /**
     * Lines and points (XChart): each series' points joined in order (a one-point series is a marker), with error bars
     * where the points carry errors, and a legend beside the plot. The x axis runs from {@code xMin} (NaN: the data's
     * smallest x) to {@code xMax} (NaN: the largest), the y axis likewise; with {@code logX} the x axis is logarithmic,
     * labelled in the values themselves (every x must then be positive). Points whose x or y is not finite are left out.
     */
    public static byte[] xy(String title, String xLabel, String yLabel, List<Series> series, double xMin, double xMax,
            double yMin, double yMax, boolean logX) {
        XYChart chart = new XYChartBuilder().width(800).height(440).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        XYStyler style = chart.getStyler();
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotBackgroundColor(Color.WHITE);
        style.setPlotGridLinesColor(new Color(0xe0e0e0));
        style.setLegendPosition(Styler.LegendPosition.OutsideE);
        style.setLegendBorderColor(Color.WHITE);
        style.setSeriesColors(PALETTE);
        style.setSeriesMarkers(MARKERS);
        style.setMarkerSize(7);
        style.setErrorBarsColorSeriesColor(true);
        style.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        style.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        style.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        style.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        style.setXAxisLogarithmic(logX);
        if (!Double.isNaN(xMin) && !logX) {
            style.setXAxisMin(xMin);
        }
        if (!Double.isNaN(xMax)) {
            style.setXAxisMax(xMax);
        }
        if (!Double.isNaN(yMin)) {
            style.setYAxisMin(yMin);
        }
        if (!Double.isNaN(yMax)) {
            style.setYAxisMax(yMax);
        }
        Set<String> names = new HashSet<>();
        for (Series s : series) {
            List<double[]> points = s.points().stream()
                    .filter(p -> Double.isFinite(p[0]) && Double.isFinite(p[1]) && (!logX || p[0] > 0)).toList();
            if (points.isEmpty()) {
                continue;
            }
            double[] xs = new double[points.size()];
            double[] ys = new double[points.size()];
            double[] errors = new double[points.size()];
            boolean withErrors = false;
            for (int i = 0; i < points.size(); i++) {
                double[] p = points.get(i);
                xs[i] = p[0];
                ys[i] = p[1];
                if (p.length > 2 && Double.isFinite(p[2])) {
                    errors[i] = Math.abs(p[2]);
                    withErrors = true;
                }
            }
            // XChart needs distinct series names; the legend shows them shortened
            String base = shorten(s.name().isBlank() ? "series" : s.name(), 38);
            String name = base;
            for (int k = 2; !names.add(name); k++) {
                name = base + " (" + k + ")";
            }
            XYSeries added = withErrors ? chart.addSeries(name, xs, ys, errors) : chart.addSeries(name, xs, ys);
            if (points.size() == 1) {
                added.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            }
        }
        if (names.isEmpty()) {
            style.setLegendVisible(false);
            XYSeries none = chart.addSeries("no data", new double[] {logX ? 1 : 0}, new double[] {Double.isNaN(yMin) ? 0 : yMin});
            none.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            none.setMarkerColor(new Color(0, 0, 0, 0));
            chart.setTitle(title + " (no data)");
        }
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A grid of images: one row per entry of {@code rows}, {@code count} images per row, each row an
     * (count, C, H, W) array in [0,1] (grayscale or RGB), or with {@code heat} a single-channel map
     * drawn in a black-red-yellow-white scale.
     */
    public static byte[] imageGrid(String title, List<String> rowNames, List<float[]> rows, List<Boolean> heat,
            int count, int channels, int h, int w) {
        return imageGrid(title, rowNames, rows, heat, null, count, channels, h, w);
    }

    /** As above, with a caption under each image of a row ({@code captions} and its entries may be null). */
    public static byte[] imageGrid(String title, List<String> rowNames, List<float[]> rows, List<Boolean> heat,
            List<String[]> captions, int count, int channels, int h, int w) {
        int scale = Math.max(1, 96 / Math.max(h, w));
        int cell = Math.max(h, w) * scale;
        int gap = 6;
        int captionHeight = captions == null ? 0 : 16;
        int left = 150;
        int top = 34;
        int width = left + count * (cell + gap) + gap;
        int height = top + rows.size() * (cell + gap + captionHeight) + gap;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, gap, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int r = 0; r < rows.size(); r++) {
            float[] data = rows.get(r);
            boolean isHeat = heat.get(r);
            int ch = isHeat ? 1 : channels;
            int y0 = top + r * (cell + gap + captionHeight);
            String[] rowCaptions = captions == null ? null : captions.get(r);
            g.setColor(Color.BLACK);
            g.drawString(shorten(rowNames.get(r), 22), gap, y0 + cell / 2 + 4);
            for (int i = 0; i < count; i++) {
                int x0 = left + i * (cell + gap);
                for (int yy = 0; yy < h; yy++) {
                    for (int xx = 0; xx < w; xx++) {
                        int rgb;
                        if (ch == 1) {
                            float v = clamp(data[(i * h + yy) * w + xx]);
                            rgb = isHeat ? heat(v) : gray(v);
                        } else {
                            int base = i * ch * h * w;
                            int red = (int) (clamp(data[base + yy * w + xx]) * 255);
                            int green = (int) (clamp(data[base + h * w + yy * w + xx]) * 255);
                            int blue = (int) (clamp(data[base + 2 * h * w + yy * w + xx]) * 255);
                            rgb = (red << 16) | (green << 8) | blue;
                        }
                        g.setColor(new Color(rgb));
                        g.fillRect(x0 + xx * scale, y0 + yy * scale, scale, scale);
                    }
                }
                if (rowCaptions != null && i < rowCaptions.length && rowCaptions[i] != null) {
                    g.setColor(Color.BLACK);
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                    g.drawString(shorten(rowCaptions[i], 16), x0, y0 + cell + 12);
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
                }
            }
        }
        g.dispose();
        return png(img);
    }

    private static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    private static float clamp(float v) {
        return Float.isNaN(v) ? 0f : Math.max(0f, Math.min(1f, v));
    }

    private static int gray(float v) {
        int c = (int) (v * 255);
        return (c << 16) | (c << 8) | c;
    }

    /** Black, red, yellow, white. */
    private static int heat(float v) {
        int r = (int) (Math.min(1f, v * 3f) * 255);
        int g = (int) (Math.min(1f, Math.max(0f, v * 3f - 1f)) * 255);
        int b = (int) (Math.min(1f, Math.max(0f, v * 3f - 2f)) * 255);
        return (r << 16) | (g << 8) | b;
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private static byte[] png(BufferedImage img) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
