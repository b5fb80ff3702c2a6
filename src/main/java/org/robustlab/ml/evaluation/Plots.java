package org.robustlab.ml.evaluation;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** PNG pictures for reports, drawn with Java2D (headless). */
public final class Plots {

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {}

    /** One line of a chart: (x, y) points in order. */
    public record Series(String name, List<double[]> points) {}

    /** Accuracy (0..1) against epsilon, one line per series, with a legend. */
    public static byte[] accuracyVsEpsilon(String title, List<Series> series) {
        return xy(title, "epsilon (L-inf, [0,1] pixels)", "accuracy", series, 0, Double.NaN, 0, 1);
    }

    /**
     * Lines and points: each series' points joined in order (a one-point series is a marker), with a legend. The x
     * axis runs from {@code xMin} (NaN: the smallest x) to {@code xMax} (NaN: the largest), the y axis likewise.
     */
    public static byte[] xy(String title, String xLabel, String yLabel, List<Series> series, double xMin, double xMax,
            double yMin, double yMax) {
        int width = 800;
        int height = 440;
        int left = 64;
        int right = 280;
        int top = 40;
        int bottom = 52;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        double[] x = range(series, 0, xMin, xMax);
        double[] y = range(series, 1, yMin, yMax);
        int plotW = width - left - right;
        int plotH = height - top - bottom;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            double v = y[0] + (y[1] - y[0]) * i / 5.0;
            int py = top + plotH - (int) Math.round(i / 5.0 * plotH);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left, py, left + plotW, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.3g", v), left - 40, py + 4);
            double e = x[0] + (x[1] - x[0]) * i / 5.0;
            int px = left + (int) Math.round(i / 5.0 * plotW);
            g.drawLine(px, top + plotH, px, top + plotH + 4);
            g.drawString(String.format(Locale.ROOT, "%.3g", e), px - 12, top + plotH + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, plotW, plotH);
        g.drawString(xLabel, left + plotW / 2 - 80, height - 12);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + plotH / 2 + 25), 16);
        g.rotate(Math.PI / 2);
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            Color c = PALETTE[k % PALETTE.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (double[] p : s.points()) {
                int sx = left + (int) Math.round(scale(p[0], x) * plotW);
                int sy = top + plotH - (int) Math.round(scale(p[1], y) * plotH);
                g.fillOval(sx - 4, sy - 4, 8, 8);
                if (px >= 0) {
                    g.drawLine(px, py, sx, sy);
                }
                px = sx;
                py = sy;
            }
            int ly = top + 10 + k * 20;
            g.fillRect(left + plotW + 14, ly - 8, 14, 10);
            g.setColor(Color.BLACK);
            g.drawString(shorten(s.name(), 38), left + plotW + 34, ly + 1);
        }
        g.dispose();
        return png(img);
    }

    /** The axis range: the given ends, or the data's where they are NaN (widened when the data is one value). */
    private static double[] range(List<Series> series, int axis, double min, double max) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double[] p : s.points()) {
                if (Double.isFinite(p[axis])) {
                    lo = Math.min(lo, p[axis]);
                    hi = Math.max(hi, p[axis]);
                }
            }
        }
        lo = Double.isNaN(min) ? (Double.isFinite(lo) ? lo : 0) : min;
        hi = Double.isNaN(max) ? (Double.isFinite(hi) ? hi : 1) : max;
        if (hi <= lo) {
            hi = lo + (lo == 0 ? 1 : Math.abs(lo));
        }
        return new double[] {lo, hi};
    }

    private static double scale(double v, double[] range) {
        return Math.max(0, Math.min(1, (v - range[0]) / (range[1] - range[0])));
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
