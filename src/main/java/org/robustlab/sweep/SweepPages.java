package org.robustlab.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.robustlab.ml.evaluation.Plots;
import org.robustlab.report.Html;

/**
 * A sweep's report page and its charts: worst-case accuracy against lambda (or the grid's first numeric field), one
 * line per combination of the other fields (the paper's ablation figure); clean against worst-case accuracy with the
 * Pareto front and the baselines; training cost against robustness.
 */
public final class SweepPages {

    /** The charts of a sweep's page, by name. */
    public static final List<String> CHARTS = List.of("worst-case-vs-lambda", "clean-vs-worst-case", "cost-vs-robustness");

    private SweepPages() {}

    /** The rows of one checkpoint: best-robust when the sweep has it, else the first one there is. */
    static List<SweepResults.SweepRow> oneCheckpoint(List<SweepResults.SweepRow> rows) {
        String checkpoint = rows.stream().anyMatch(r -> r.checkpoint().equals("best-robust")) ? "best-robust"
                : rows.isEmpty() ? "" : rows.get(0).checkpoint();
        return rows.stream().filter(r -> r.checkpoint().equals(checkpoint)).toList();
    }

    /** "divergence=kl, lambda=1" as a map; empty for a baseline. */
    static Map<String, String> values(SweepResults.SweepRow row) {
        Map<String, String> out = new LinkedHashMap<>();
        if (row.baseline() != null || row.config().equals("base")) {
            return out;
        }
        for (String part : row.config().split(", ")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                out.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return out;
    }

    /** The field the ablation chart puts on its x axis: lambda if the grid has it, else its first numeric field; null if none. */
    static String xField(List<SweepResults.SweepRow> rows) {
        Map<String, Boolean> numeric = new LinkedHashMap<>();
        for (SweepResults.SweepRow r : rows) {
            values(r).forEach((k, v) -> numeric.merge(k, isNumber(v), Boolean::logicalAnd));
        }
        if (Boolean.TRUE.equals(numeric.get("lambda"))) {
            return "lambda";
        }
        return numeric.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** One of {@link #CHARTS}, as PNG. */
    public static byte[] chart(String name, List<SweepResults.SweepRow> all) {
        List<SweepResults.SweepRow> rows = oneCheckpoint(all);
        String checkpoint = rows.isEmpty() ? "" : " (" + rows.get(0).checkpoint() + ")";
        return switch (name) {
            case "worst-case-vs-lambda" -> {
                String x = xField(rows);
                Map<String, List<double[]>> lines = new LinkedHashMap<>();
                for (SweepResults.SweepRow r : rows) {
                    Map<String, String> v = values(r);
                    if (x == null || !v.containsKey(x)) {
                        continue;
                    }
                    List<String> rest = new ArrayList<>();
                    v.forEach((k, val) -> {
                        if (!k.equals(x)) {
                            rest.add(k + "=" + val);
                        }
                    });
                    lines.computeIfAbsent(rest.isEmpty() ? "worst case" : String.join(", ", rest), k -> new ArrayList<>())
                            .add(new double[] {Double.parseDouble(v.get(x)), r.worstCase().mean(), spread(r.worstCase())});
                }
                // values over more than a factor of 20, all positive (lambda 0.1 to 32): a log axis, as in the paper's figure
                double lo = lines.values().stream().flatMap(List::stream).mapToDouble(p -> p[0]).min().orElse(0);
                double hi = lines.values().stream().flatMap(List::stream).mapToDouble(p -> p[0]).max().orElse(0);
                boolean log = lo > 0 && hi / lo >= 20;
                List<Plots.Series> series = new ArrayList<>();
                lines.forEach((label, points) -> {
                    points.sort(Comparator.comparingDouble(p -> p[0]));
                    series.add(new Plots.Series(label, points));
                });
                yield Plots.xy("worst-case accuracy against " + (x == null ? "(no numeric grid field)" : x) + checkpoint
                        + errorNote(rows), x == null ? "" : log ? x + " (log scale)" : x, "worst-case accuracy", series, Double.NaN,
                        Double.NaN, 0, 1, log);
            }
            case "clean-vs-worst-case" -> {
                List<Plots.Series> series = new ArrayList<>();
                List<double[]> front = new ArrayList<>();
                rows.stream().filter(SweepResults.SweepRow::pareto).forEach(r -> front.add(new double[] {r.clean().mean(), r.worstCase().mean()}));
                front.sort(Comparator.comparingDouble(p -> p[0]));
                series.add(new Plots.Series("Pareto front", front));
                for (SweepResults.SweepRow r : rows) {
                    series.add(new Plots.Series(r.config(),
                            List.<double[]>of(new double[] {r.clean().mean(), r.worstCase().mean(), spread(r.worstCase())})));
                }
                yield Plots.xy("clean against worst-case accuracy" + checkpoint + errorNote(rows), "clean accuracy (mean over seeds)",
                        "worst-case accuracy", series, Double.NaN, Double.NaN, 0, 1, false);
            }
            case "cost-vs-robustness" -> {
                List<Plots.Series> series = new ArrayList<>();
                for (SweepResults.SweepRow r : rows) {
                    series.add(new Plots.Series(r.config(),
                            List.<double[]>of(new double[] {r.trainSeconds().mean(), r.worstCase().mean(), spread(r.worstCase())})));
                }
                yield Plots.xy("training cost against robustness" + checkpoint + errorNote(rows), "training seconds per job (mean)",
                        "worst-case accuracy", series, 0, Double.NaN, 0, 1, false);
            }
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A figure's standard deviation over seeds for an error bar (NaN with one seed: no bar). */
    private static double spread(SweepResults.SweepStat stat) {
        return stat.std() == null ? Double.NaN : stat.std();
    }

    /** What the error bars are, when some row has more than one seed. */
    private static String errorNote(List<SweepResults.SweepRow> rows) {
        return rows.stream().anyMatch(r -> r.worstCase().std() != null) ? ", bars: \u00b1 std over seeds" : "";
    }

    /** The page: the table (mean ± std over seeds), the three charts, and the members successive halving pruned. */
    public static String page(String title, String state, List<SweepResults.SweepRow> rows, List<String> pruned, String plotBase) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Html.esc(title)).append("</title>")
                .append(Html.STYLE).append("</head><body><h1>").append(Html.esc(title)).append("</h1><p>State: ")
                .append(Html.esc(state)).append(". Figures are means &plusmn; sample standard deviations over seeds.</p>");
        List<String> attacks = new ArrayList<>();
        for (SweepResults.SweepRow r : rows) {
            for (SweepResults.AttackStat a : r.attacks()) {
                String key = a.label() + " @ " + String.format(Locale.ROOT, "%.4g", a.epsilon());
                if (!attacks.contains(key)) {
                    attacks.add(key);
                }
            }
        }
        b.append("<table id=\"sweep-results\"><tr><th>configuration</th><th>checkpoint</th><th>seeds</th><th>clean</th>");
        attacks.forEach(a -> b.append("<th>").append(Html.esc(a)).append("</th>"));
        b.append("<th>worst case</th><th>train s</th><th>images/s</th><th>masking checks failed</th><th>Pareto</th></tr>");
        for (SweepResults.SweepRow r : rows) {
            b.append("<tr data-config=\"").append(Html.esc(r.config())).append("\"><td>").append(Html.esc(r.config())).append("</td><td>")
                    .append(Html.esc(r.checkpoint())).append("</td><td class=\"num\">").append(r.seeds().size()).append("</td>")
                    .append(cell(r.clean()));
            for (String a : attacks) {
                SweepResults.AttackStat found = r.attacks().stream()
                        .filter(x -> (x.label() + " @ " + String.format(Locale.ROOT, "%.4g", x.epsilon())).equals(a)).findFirst().orElse(null);
                b.append(found == null ? "<td></td>" : cell(found.accuracy()));
            }
            b.append(cell(r.worstCase())).append("<td class=\"num\">").append(String.format(Locale.ROOT, "%.1f", r.trainSeconds().mean()))
                    .append("</td><td class=\"num\">").append(String.format(Locale.ROOT, "%.0f", r.imagesPerSecond().mean()))
                    .append("</td><td class=\"num\">").append(r.maskingChecksFailed()).append(" of ")
                    .append(r.maskingChecksPassed() + r.maskingChecksFailed()).append("</td><td>").append(r.pareto() ? "yes" : "")
                    .append("</td></tr>");
        }
        b.append("</table>");
        for (String c : CHARTS) {
            b.append("<img id=\"plot-").append(c).append("\" alt=\"").append(c).append("\" src=\"").append(Html.esc(plotBase + c + ".png"))
                    .append("\">");
        }
        if (!pruned.isEmpty()) {
            b.append("<h2>Pruned by successive halving</h2><ul id=\"pruned\">");
            pruned.forEach(p -> b.append("<li>").append(Html.esc(p)).append("</li>"));
            b.append("</ul>");
        }
        b.append("</body></html>");
        return b.toString();
    }

    private static String cell(SweepResults.SweepStat s) {
        return "<td class=\"num\">" + String.format(Locale.ROOT, "%.4f", s.mean())
                + (s.std() == null ? "" : String.format(Locale.ROOT, " &plusmn; %.4f", s.std())) + "</td>";
    }
}
