package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.robustlab.ml.evaluation.ExampleRecord;
import org.robustlab.ml.evaluation.Statistics;

/**
 * A model's best-known robust accuracy at one epsilon: the union of what every evaluation of it found, point by point.
 *
 * @param epsilon the radius
 * @param testPoints the points every counted evaluation covered (the first N of the test set)
 * @param evaluations how many evaluations were combined
 * @param accuracy the fraction of those points classified correctly and broken by no attack of any of them
 * @param interval its 95% Clopper-Pearson interval
 */
@Schema(name = "BestKnown")
public record BestKnown(float epsilon, int testPoints, int evaluations, double accuracy, Statistics.Interval interval) {

    /** The best-known figures at every epsilon of {@code records}, smallest epsilon first. */
    static List<BestKnown> of(List<ExampleRecord> records) {
        TreeMap<Float, List<ExampleRecord>> byEpsilon = new TreeMap<>();
        for (ExampleRecord r : records) {
            for (float eps : r.epsilons()) {
                Float key = byEpsilon.keySet().stream().filter(k -> Math.abs(k - eps) < 1e-6f).findFirst().orElse(eps);
                byEpsilon.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
            }
        }
        List<BestKnown> out = new ArrayList<>();
        byEpsilon.forEach((eps, at) -> {
            int points = at.stream().mapToInt(ExampleRecord::size).min().orElse(0);
            int robust = 0;
            for (int i = 0; i < points; i++) {
                boolean survives = true;
                for (ExampleRecord r : at) {
                    survives &= r.robust(r.epsilonIndex(eps), i);
                }
                robust += survives ? 1 : 0;
            }
            out.add(new BestKnown(eps, points, at.size(), points == 0 ? 0 : (double) robust / points,
                    Statistics.clopperPearson(robust, points)));
        });
        return out;
    }
}
