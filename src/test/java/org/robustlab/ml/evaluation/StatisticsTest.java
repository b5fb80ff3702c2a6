package org.robustlab.ml.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Clopper-Pearson intervals and McNemar's exact test against values worked out by hand. */
class StatisticsTest {

    @Test
    void clopperPearsonMatchesItsClosedFormsAndItsDefinition() {
        // no successes: the upper end solves (1 - p)^n = alpha / 2; all successes: the lower end solves p^n = alpha / 2
        assertThat(Statistics.clopperPearson(0, 10).lower()).isZero();
        assertThat(Statistics.clopperPearson(0, 10).upper()).isCloseTo(1 - Math.pow(0.025, 0.1), within(1e-12));
        assertThat(Statistics.clopperPearson(10, 10).lower()).isCloseTo(Math.pow(0.025, 0.1), within(1e-12));
        assertThat(Statistics.clopperPearson(10, 10).upper()).isEqualTo(1.0);
        // by definition: P(X >= k | lower) = P(X <= k | upper) = 2.5% for X ~ Binomial(n, p)
        for (int[] kn : new int[][] {{3, 10}, {1, 7}, {150, 200}, {500, 1000}, {9990, 10000}}) {
            int k = kn[0];
            int n = kn[1];
            Statistics.Interval ci = Statistics.clopperPearson(k, n);
            assertThat(1 - binomialCdf(k - 1, n, ci.lower())).as("upper tail at the lower end, %d of %d", k, n).isCloseTo(0.025, within(1e-9));
            assertThat(binomialCdf(k, n, ci.upper())).as("lower tail at the upper end, %d of %d", k, n).isCloseTo(0.025, within(1e-9));
            assertThat(ci.lower()).isLessThan((double) k / n);
            assertThat(ci.upper()).isGreaterThan((double) k / n);
        }
        // and the well-known figures of binom.test(3, 10) in R
        assertThat(Statistics.clopperPearson(3, 10).lower()).isCloseTo(0.06673951, within(1e-8));
        assertThat(Statistics.clopperPearson(3, 10).upper()).isCloseTo(0.65245285, within(1e-8));
        assertThat(Statistics.clopperPearson(0, 0)).isEqualTo(new Statistics.Interval(0, 1));
    }

    /** P(X <= k) for X ~ Binomial(n, p), summed directly in log space. */
    private static double binomialCdf(int k, int n, double p) {
        double sum = 0;
        for (int i = 0; i <= k; i++) {
            double log = Statistics.logGamma(n + 1.0) - Statistics.logGamma(i + 1.0) - Statistics.logGamma(n - i + 1.0)
                    + i * Math.log(p) + (n - i) * Math.log1p(-p);
            sum += Math.exp(log);
        }
        return sum;
    }

    @Test
    void mcNemarCountsOnlyTheDisagreements() {
        // 10 against 2 disagreements: P(X <= 2) for X ~ Binomial(12, 1/2) is (1 + 12 + 66) / 4096, doubled
        assertThat(Statistics.mcNemar(10, 2)).isCloseTo(2.0 * 79 / 4096, within(1e-12));
        assertThat(Statistics.mcNemar(2, 10)).isCloseTo(2.0 * 79 / 4096, within(1e-12));
        assertThat(Statistics.mcNemar(5, 5)).isEqualTo(1.0);
        assertThat(Statistics.mcNemar(0, 0)).isEqualTo(1.0);
        assertThat(Statistics.mcNemar(0, 6)).isCloseTo(2.0 / 64, within(1e-12));
    }

    @Test
    void logGammaIsTheLogOfTheFactorial() {
        assertThat(Statistics.logGamma(1)).isCloseTo(0, within(1e-13));
        assertThat(Statistics.logGamma(11)).isCloseTo(Math.log(3628800), within(1e-12));
        assertThat(Statistics.logGamma(0.5)).isCloseTo(0.5 * Math.log(Math.PI), within(1e-13));
    }
}
