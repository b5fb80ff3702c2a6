package org.robustlab.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.evaluation.ExampleRecord;
import org.robustlab.ml.evaluation.Statistics;

/** The best-known robust accuracy is the union of the evaluations' findings, point by point, on the points all covered. */
class BestKnownTest {

    private static ExampleRecord record(boolean[] clean, String[] brokenBy, float eps) {
        return new ExampleRecord(new int[clean.length], clean, new float[clean.length], List.of(eps), List.<String[]>of(brokenBy),
                List.of(new float[clean.length]));
    }

    @Test
    void aPointIsRobustOnlyIfNoEvaluationBrokeIt() {
        boolean[] clean = {true, true, true, true, false, true};
        ExampleRecord pgd = record(clean, new String[] {null, "pgd-20", null, null, null, null}, 0.1f);
        ExampleRecord square = record(clean, new String[] {null, null, "square-5000", null, null, null}, 0.1f);
        // a third evaluation on the first four points only, at the same epsilon written a little differently
        ExampleRecord shorter = record(new boolean[] {true, true, true, true}, new String[] {null, null, null, "fab-t-100x9"}, 0.1000001f);
        List<BestKnown> best = BestKnown.of(List.of(pgd, square, shorter));
        assertThat(best).hasSize(1);
        BestKnown b = best.get(0);
        assertThat(b.testPoints()).isEqualTo(4);
        assertThat(b.evaluations()).isEqualTo(3);
        // of points 0..3: 1 broken by PGD, 2 by Square, 3 by FAB-T; only point 0 survives all
        assertThat(b.accuracy()).isEqualTo(0.25);
        assertThat(b.interval()).isEqualTo(Statistics.clopperPearson(1, 4));
        assertThat(BestKnown.of(List.of(pgd, square)).get(0).accuracy()).isEqualTo(3.0 / 6);
        assertThat(BestKnown.of(List.of())).isEmpty();
    }
}
