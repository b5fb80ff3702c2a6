package org.robustlab.ml.evaluation;

/**
 * The uncertainty of an accuracy measured on a finite test set, and the significance of the difference between two
 * models measured on the same test points.
 *
 * <ul>
 *   <li>{@link #clopperPearson}: the exact (Clopper-Pearson, 1934) two-sided confidence interval of a binomial
 *       proportion, from quantiles of the Beta distribution; it never undercovers, which for accuracies near 0 or 1
 *       and for a few hundred points matters.</li>
 *   <li>{@link #mcNemar}: McNemar's exact test on paired outcomes: only the points on which the two models disagree
 *       count, and under the null hypothesis each disagreement goes either way with probability 1/2.</li>
 * </ul>
 */
public final class Statistics {

    private Statistics() {}

    /** A confidence interval of a proportion, and the level it was made at (0.95). */
    public record Interval(double lower, double upper) {}

    /** The exact 95% interval of {@code successes} out of {@code trials}. */
    public static Interval clopperPearson(int successes, int trials) {
        return clopperPearson(successes, trials, 0.05);
    }

    /** The exact (1 - alpha) interval of {@code successes} out of {@code trials}; [0, 1] for no trials. */
    public static Interval clopperPearson(int successes, int trials, double alpha) {
        if (successes < 0 || successes > trials) {
            throw new IllegalArgumentException("successes must be in [0, trials]; got " + successes + " of " + trials);
        }
        if (trials == 0) {
            return new Interval(0, 1);
        }
        double lower = successes == 0 ? 0 : betaQuantile(alpha / 2, successes, trials - successes + 1);
        double upper = successes == trials ? 1 : betaQuantile(1 - alpha / 2, successes + 1, trials - successes);
        return new Interval(lower, upper);
    }

    /**
     * The exact two-sided p-value of McNemar's test: {@code onlyA} points that only the first model gets right and
     * {@code onlyB} that only the second does; 1 when they never disagree.
     */
    public static double mcNemar(int onlyA, int onlyB) {
        int n = onlyA + onlyB;
        if (n == 0) {
            return 1;
        }
        int k = Math.min(onlyA, onlyB);
        // P(X <= k) for X ~ Binomial(n, 1/2), summed in log space
        double tail = 0;
        for (int i = 0; i <= k; i++) {
            tail += Math.exp(logChoose(n, i) - n * Math.log(2));
        }
        return Math.min(1, 2 * tail);
    }

    private static double logChoose(int n, int k) {
        return logGamma(n + 1.0) - logGamma(k + 1.0) - logGamma(n - k + 1.0);
    }

    /** The p-quantile of Beta(a, b), by bisection on the regularized incomplete beta function (60 halvings: 1e-18). */
    static double betaQuantile(double p, double a, double b) {
        double lo = 0;
        double hi = 1;
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2;
            if (regularizedBeta(mid, a, b) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** I_x(a, b), the regularized incomplete beta function, by its continued fraction (Numerical Recipes, 6.4). */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
        if (x < (a + 1) / (a + b + 2)) {
            return front * continuedFraction(x, a, b) / a;
        }
        return 1 - front * continuedFraction(1 - x, b, a) / b;
    }

    private static double continuedFraction(double x, double a, double b) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 10_000; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return h;
    }

    /** ln Gamma(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-15). */
    static double logGamma(double x) {
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
                12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
        x -= 1;
        double sum = g[0];
        for (int i = 1; i < g.length; i++) {
            sum += g[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}
