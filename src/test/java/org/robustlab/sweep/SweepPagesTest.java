package org.robustlab.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The sweep page's charts from a table made by hand: the ablation chart's axis and lines, and pictures that decode. */
class SweepPagesTest {

    private static SweepResults.SweepRow row(String config, String baseline, double clean, double worst, double seconds, boolean pareto) {
        SweepResults.SweepStat one = new SweepResults.SweepStat(0, null, 1, null);
        return new SweepResults.SweepRow(config, baseline, "best-robust", List.of(1L), new SweepResults.SweepStat(clean, 0.01, 2, null), List.of(),
                new SweepResults.SweepStat(worst, 0.02, 2, null), new SweepResults.SweepStat(seconds, null, 2, null), one, "cpu", 0, 0, pareto);
    }

    @Test
    void theAblationChartPutsLambdaOnItsAxisWithOneLinePerDivergence() throws Exception {
        List<SweepResults.SweepRow> rows = List.of(
                row("divergence=kl, lambda=0.5", null, 0.80, 0.30, 10, false), row("divergence=kl, lambda=1", null, 0.78, 0.38, 11, true),
                row("divergence=kl, lambda=4", null, 0.70, 0.45, 12, true), row("divergence=l2, lambda=0.5", null, 0.81, 0.20, 10, true),
                row("divergence=l2, lambda=1", null, 0.79, 0.25, 10, false), row("divergence=l2, lambda=4", null, 0.74, 0.33, 10, false),
                row("baseline standard", "standard", 0.85, 0.02, 5, true), row("baseline pgd-at", "pgd-at", 0.68, 0.46, 40, true));
        assertThat(SweepPages.xField(rows)).isEqualTo("lambda");
        assertThat(SweepPages.values(rows.get(1))).containsEntry("divergence", "kl").containsEntry("lambda", "1");
        assertThat(SweepPages.values(rows.get(6))).isEmpty();
        for (String chart : SweepPages.CHARTS) {
            byte[] png = SweepPages.chart(chart, rows);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(image.getWidth()).isEqualTo(800);
            Files.write(Path.of("target", "sweep-" + chart + ".png"), png);
        }
        String page = SweepPages.page("Sweep test", "SUCCEEDED", rows, List.of(), "/p/");
        assertThat(page.split("<tr data-config=", -1)).hasSize(9);
        assertThat(page).contains("0.7800 &plusmn; 0.0100").contains("/p/clean-vs-worst-case.png").doesNotContain("id=\"pruned\"");
        String halved = SweepPages.page("Sweep test", "SUCCEEDED", rows, List.of("lambda=16: pruned at rung 0 <epoch 1>"), "/p/");
        assertThat(halved).contains("<ul id=\"pruned\"><li>lambda=16: pruned at rung 0 &lt;epoch 1&gt;</li></ul>");
    }
}
