package org.robustlab.ml.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The XChart-drawn charts: error bars that show, log axes that take what a sweep gives, and awkward series that still draw. */
class PlotsTest {

    private static final int FIRST_COLOUR = 0x1f77b4;

    private static BufferedImage decode(byte[] png) throws IOException {
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    private static int pixelsOf(BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void errorBarsAddTheSeriesColourAboveAndBelowEachPoint() throws IOException {
        List<double[]> bare = List.of(new double[] {1, 0.5}, new double[] {2, 0.6}, new double[] {4, 0.55});
        List<double[]> withErrors = List.of(new double[] {1, 0.5, 0.2}, new double[] {2, 0.6, 0.2}, new double[] {4, 0.55, 0.2});
        BufferedImage plain = decode(Plots.xy("t", "x", "y", List.of(new Plots.Series("a", bare)), Double.NaN, Double.NaN, 0, 1, false));
        BufferedImage barred = decode(Plots.xy("t", "x", "y", List.of(new Plots.Series("a", withErrors)), Double.NaN, Double.NaN, 0, 1,
                false));
        assertThat(plain.getWidth()).isEqualTo(800);
        assertThat(plain.getHeight()).isEqualTo(440);
        // three bars of 0.4 of the y axis (about 130 pixels each) in the series' colour
        assertThat(pixelsOf(barred, FIRST_COLOUR)).isGreaterThan(pixelsOf(plain, FIRST_COLOUR) + 3 * 100);
    }

    @Test
    void aLogAxisLeavesOutPointsItCannotShowAndDuplicateOrEmptySeriesStillDraw() throws IOException {
        List<Plots.Series> series = List.of(
                new Plots.Series("kl", List.of(new double[] {0, 0.1}, new double[] {0.1, 0.35}, new double[] {32, 0.46, Double.NaN})),
                new Plots.Series("kl", List.of(new double[] {0.5, 0.44, 0.01})),
                new Plots.Series("nothing", List.of()),
                new Plots.Series("", List.of(new double[] {Double.NaN, 0.2}, new double[] {2, 0.49})));
        assertThat(decode(Plots.xy("log", "lambda", "worst case", series, Double.NaN, Double.NaN, 0, 1, true)).getWidth()).isEqualTo(800);
        assertThat(decode(Plots.xy("none", "x", "y", List.of(), Double.NaN, Double.NaN, 0, 1, true)).getWidth()).isEqualTo(800);
        assertThat(decode(Plots.accuracyVsEpsilon("eps", series)).getWidth()).isEqualTo(800);
    }
}
