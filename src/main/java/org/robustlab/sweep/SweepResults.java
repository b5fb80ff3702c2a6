package org.robustlab.sweep;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.robustlab.ml.evaluation.Statistics;
import tools.jackson.databind.JsonNode;

/**
 * A sweep's table: one row per configuration (and checkpoint), each figure the mean and the sample standard
 * deviation over the configuration's seeds, and the Pareto front of clean against worst-case accuracy.
 */
public final class SweepResults {

    private SweepResults() {}

    /** What one finished member contributes: its evaluation report and its job's cost. */
    record Outcome(String config, String baseline, long seed, String checkpoint, JsonNode report, double trainSeconds,
            double imagesPerSecond, String device) {}

    /**
     * A mean over seeds and the sample standard deviation (absent with one seed).
     *
     * @param mean the mean
     * @param std the sample standard deviation (n - 1); absent with a single value
     * @param n how many values
     * @param interval for an accuracy: the 95% Clopper-Pearson interval of the seeds' correct points pooled over their
     *     test points (the uncertainty that the number of test points leaves, beside the spread over seeds); absent for
     *     other figures
     */
    public record SweepStat(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) double mean, Double std,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int n, Statistics.Interval interval) {

        static SweepStat of(List<Double> values) {
            return of(values, 0);
        }

        /** An accuracy measured on {@code testPoints} points by each seed ({@code testPoints} 0: not an accuracy). */
        static SweepStat of(List<Double> values, int testPoints) {
            double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            Double std = null;
            if (values.size() > 1) {
                double ss = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
                std = Math.sqrt(ss / (values.size() - 1));
            }
            Statistics.Interval interval = null;
            if (testPoints > 0 && !Double.isNaN(mean)) {
                int trials = testPoints * values.size();
                int correct = (int) Math.round(values.stream().mapToDouble(v -> v * testPoints).sum());
                interval = Statistics.clopperPearson(Math.min(Math.max(correct, 0), trials), trials);
            }
            return new SweepStat(mean, std, values.size(), interval);
        }
    }

    /**
     * An attack's robust accuracy at one epsilon.
     *
     * @param label the attack's label in the reports (fgsm, pgd-20, ensemble, ...)
     * @param epsilon its epsilon
     * @param accuracy robust accuracy over the seeds
     */
    public record AttackStat(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String label,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double epsilon,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) SweepStat accuracy) {}

    /**
     * One configuration's results.
     *
     * @param config the configuration: the grid's values (lambda=1, divergence=kl), or "baseline NAME"
     * @param baseline the baseline's name, for baselines
     * @param checkpoint which model of each job (best-robust or last)
     * @param seeds the seeds whose evaluations are in the figures
     * @param clean clean accuracy
     * @param attacks robust accuracy per attack and epsilon
     * @param worstCase per seed the lowest accuracy over every attack at the largest epsilon, then over seeds
     * @param trainSeconds training time of a job (its epochs' seconds, validation included)
     * @param imagesPerSecond training images per second
     * @param device where the jobs ran (cpu, gpu0, ...)
     * @param maskingChecksPassed masking checks passed, summed over the seeds
     * @param maskingChecksFailed masking checks failed, summed over the seeds (each failure is a reason to doubt the figures)
     * @param pareto on the Pareto front of clean against worst-case accuracy (nothing is better on both)
     */
    public record SweepRow(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String config, String baseline,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String checkpoint,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Long> seeds,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) SweepStat clean,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<AttackStat> attacks,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) SweepStat worstCase,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) SweepStat trainSeconds,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) SweepStat imagesPerSecond, String device,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int maskingChecksPassed,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int maskingChecksFailed,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) boolean pareto) {}

    static List<SweepRow> rows(List<Outcome> outcomes) {
        Map<String, List<Outcome>> groups = new LinkedHashMap<>();
        for (Outcome o : outcomes) {
            groups.computeIfAbsent(o.config() + "\u0000" + o.checkpoint(), k -> new ArrayList<>()).add(o);
        }
        List<SweepRow> rows = new ArrayList<>();
        for (List<Outcome> g : groups.values()) {
            Outcome first = g.get(0);
            Map<String, List<Double>> attack = new LinkedHashMap<>();
            Map<String, double[]> attackKey = new LinkedHashMap<>();
            List<Double> clean = new ArrayList<>();
            List<Double> worst = new ArrayList<>();
            List<Double> seconds = new ArrayList<>();
            List<Double> ips = new ArrayList<>();
            List<Long> seeds = new ArrayList<>();
            int points = first.report().path("testPoints").asInt();
            int passed = 0;
            int failed = 0;
            for (Outcome o : g) {
                seeds.add(o.seed());
                clean.add(o.report().path("cleanAccuracy").asDouble());
                for (JsonNode r : o.report().path("results")) {
                    String key = r.path("label").asString() + "@" + r.path("epsilon").asDouble();
                    attack.computeIfAbsent(key, k -> new ArrayList<>()).add(r.path("robustAccuracy").asDouble());
                    attackKey.putIfAbsent(key, new double[] {r.path("epsilon").asDouble()});
                }
                worst.add(worstCase(o.report()));
                seconds.add(o.trainSeconds());
                ips.add(o.imagesPerSecond());
                for (JsonNode c : o.report().path("maskingChecks")) {
                    if (c.path("passed").asBoolean()) {
                        passed++;
                    } else {
                        failed++;
                    }
                }
            }
            List<AttackStat> attacks = new ArrayList<>();
            attack.forEach((key, values) -> attacks.add(new AttackStat(key.substring(0, key.lastIndexOf('@')), attackKey.get(key)[0],
                    SweepStat.of(values, points))));
            rows.add(new SweepRow(first.config(), first.baseline(), first.checkpoint(), seeds, SweepStat.of(clean, points), attacks,
                    SweepStat.of(worst, points),
                    SweepStat.of(seconds), SweepStat.of(ips), first.device(), passed, failed, false));
        }
        return pareto(rows);
    }

    /** The lowest accuracy over every attack at the report's largest epsilon (its worstCaseAccuracy entry there). */
    static double worstCase(JsonNode report) {
        double eps = -1;
        double acc = Double.NaN;
        for (JsonNode w : report.path("worstCaseAccuracy")) {
            if (w.path("epsilon").asDouble() > eps) {
                eps = w.path("epsilon").asDouble();
                acc = w.path("accuracy").asDouble();
            }
        }
        return acc;
    }

    /** Marks the rows no other row of the same checkpoint beats on both clean and worst-case mean. */
    static List<SweepRow> pareto(List<SweepRow> rows) {
        List<SweepRow> out = new ArrayList<>();
        for (SweepRow r : rows) {
            boolean dominated = false;
            for (SweepRow o : rows) {
                if (o != r && o.checkpoint().equals(r.checkpoint()) && o.clean().mean() >= r.clean().mean()
                        && o.worstCase().mean() >= r.worstCase().mean()
                        && (o.clean().mean() > r.clean().mean() || o.worstCase().mean() > r.worstCase().mean())) {
                    dominated = true;
                    break;
                }
            }
            out.add(new SweepRow(r.config(), r.baseline(), r.checkpoint(), r.seeds(), r.clean(), r.attacks(), r.worstCase(), r.trainSeconds(),
                    r.imagesPerSecond(), r.device(), r.maskingChecksPassed(), r.maskingChecksFailed(), !dominated));
        }
        return out;
    }

    /** The table as CSV: one line per row, a mean and a std column per figure. */
    static String csv(List<SweepRow> rows) {
        Set<String> attackColumns = new LinkedHashSet<>();
        for (SweepRow r : rows) {
            for (AttackStat a : r.attacks()) {
                attackColumns.add(a.label() + "@" + a.epsilon());
            }
        }
        StringBuilder sb = new StringBuilder("config,baseline,checkpoint,seeds,clean_mean,clean_std");
        for (String a : attackColumns) {
            sb.append(',').append(a).append("_mean,").append(a).append("_std");
        }
        sb.append(",worst_case_mean,worst_case_std,train_seconds_mean,images_per_second_mean,device,masking_passed,masking_failed,pareto\n");
        for (SweepRow r : rows) {
            sb.append(quote(r.config())).append(',').append(r.baseline() == null ? "" : quote(r.baseline())).append(',')
                    .append(r.checkpoint()).append(',').append(r.seeds().size()).append(',').append(num(r.clean().mean())).append(',')
                    .append(num(r.clean().std()));
            for (String col : attackColumns) {
                AttackStat a = r.attacks().stream().filter(x -> (x.label() + "@" + x.epsilon()).equals(col)).findFirst().orElse(null);
                sb.append(',').append(a == null ? "" : num(a.accuracy().mean())).append(',').append(a == null ? "" : num(a.accuracy().std()));
            }
            sb.append(',').append(num(r.worstCase().mean())).append(',').append(num(r.worstCase().std())).append(',')
                    .append(num(r.trainSeconds().mean())).append(',').append(num(r.imagesPerSecond().mean())).append(',')
                    .append(r.device() == null ? "" : r.device()).append(',').append(r.maskingChecksPassed()).append(',')
                    .append(r.maskingChecksFailed()).append(',').append(r.pareto()).append('\n');
        }
        return sb.toString();
    }

    private static String num(Double v) {
        return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
