package org.robustlab.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Successive halving's arithmetic: the default rungs, and a rung's decision, which configurations go on.
 * A configuration's score is the mean over its seeds of the validation PGD accuracy its rung ended with.
 */
final class SweepHalving {

    private SweepHalving() {}

    /** One configuration at a rung: its score (NaN when none of its seeds finished the rung) and its rank (1 = best). */
    record Ranked(String config, double score, int rank, boolean continues) {}

    /** epochs/f, epochs/f^2, ... while at least 1, ascending: the rungs when none are given. */
    static List<Integer> defaultRungs(int epochs, int factor) {
        List<Integer> rungs = new ArrayList<>();
        for (int r = epochs / factor; r >= 1; r /= factor) {
            rungs.add(0, r);
        }
        return rungs;
    }

    /** How many of {@code configurations} go on: max(1, floor(n / f)). */
    static int kept(int configurations, int factor) {
        return Math.max(1, configurations / factor);
    }

    /**
     * Ranks the configurations of a rung by their seeds' mean score (higher first; ties keep the sweep's order) and
     * marks the top {@link #kept} as continuing. Configurations without a score rank last and never continue.
     *
     * @param scores each configuration (in the sweep's order) to the scores of its seeds that finished the rung
     */
    static List<Ranked> decide(Map<String, List<Double>> scores, int factor) {
        Map<String, Double> mean = new LinkedHashMap<>();
        scores.forEach((config, s) -> mean.put(config, s.isEmpty() ? Double.NaN : s.stream().mapToDouble(Double::doubleValue).average().orElseThrow()));
        List<String> order = new ArrayList<>(mean.keySet());
        order.sort(Comparator.comparingDouble((String c) -> Double.isNaN(mean.get(c)) ? Double.POSITIVE_INFINITY : -mean.get(c)));
        int keep = kept(order.size(), factor);
        List<Ranked> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            double score = mean.get(order.get(i));
            out.add(new Ranked(order.get(i), score, i + 1, i < keep && !Double.isNaN(score)));
        }
        return out;
    }
}
