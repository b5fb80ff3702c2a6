package org.robustlab.report;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.robustlab.ml.evaluation.Plots;
import tools.jackson.databind.JsonNode;

/**
 * The HTML report of an evaluation and of a comparison, and the accuracy-vs-epsilon chart, all made
 * from the stored JSON report, so that the page shows exactly the numbers the API returns.
 */
public final class ReportPages {

    private ReportPages() {}

    /** One evaluated model, for pages and charts; {@code label} is the short name of chart legends. */
    public record Entry(String evaluationId, String title, String label, JsonNode report) {}

    /**
     * The accuracy-vs-epsilon series of a report: each attack's robust accuracy by epsilon and the
     * per-example worst case, all starting from the clean accuracy at epsilon 0. With
     * {@code worstCaseName}, only the worst case, under that name.
     */
    public static List<Plots.Series> series(JsonNode report, String worstCaseName) {
        boolean worstCaseOnly = worstCaseName != null;
        double clean = report.path("cleanAccuracy").asDouble();
        Map<String, TreeMap<Double, Double>> byAttack = new LinkedHashMap<>();
        if (!worstCaseOnly) {
            for (JsonNode r : report.path("results")) {
                if (r.path("robustAccuracy").isNumber()) {
                    byAttack.computeIfAbsent(r.path("label").asString(), k -> new TreeMap<>())
                            .put(r.path("epsilon").asDouble(), r.path("robustAccuracy").asDouble());
                }
            }
        }
        TreeMap<Double, Double> worst = new TreeMap<>();
        for (JsonNode w : report.path("worstCaseAccuracy")) {
            if (w.path("accuracy").isNumber()) {
                worst.put(w.path("epsilon").asDouble(), w.path("accuracy").asDouble());
            }
        }
        byAttack.put(worstCaseOnly ? worstCaseName : "worst case", worst);
        List<Plots.Series> out = new ArrayList<>();
        byAttack.forEach((label, points) -> {
            List<double[]> p = new ArrayList<>();
            p.add(new double[] {0, clean});
            points.forEach((e, a) -> p.add(new double[] {e, a}));
            out.add(new Plots.Series(label, p));
        });
        return out;
    }

    public static byte[] accuracyChart(Entry e) {
        return Plots.accuracyVsEpsilon("Accuracy vs epsilon (" + e.report().path("testPoints").asInt() + " test points)",
                series(e.report(), null));
    }

    public static byte[] comparisonChart(List<Entry> entries) {
        List<Plots.Series> all = new ArrayList<>();
        for (Entry e : entries) {
            all.addAll(series(e.report(), e.label()));
        }
        return Plots.accuracyVsEpsilon("Worst-case accuracy vs epsilon", all);
    }

    /** The report page of one evaluation; {@code plotBase} is the URL prefix of its pictures. */
    public static String evaluationPage(Entry e, String plotBase) {
        JsonNode r = e.report();
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Robustness report ")
                .append(Html.esc(e.evaluationId())).append("</title>").append(Html.STYLE).append("</head><body>");
        b.append("<h1>Robustness report</h1>");
        b.append("<p class=\"meta\">Evaluation <code>").append(Html.esc(e.evaluationId())).append("</code> &middot; ")
                .append(Html.esc(e.title())).append("<br>Checkpoint: <span data-field=\"checkpoint\">")
                .append(Html.esc(Html.str(r.path("checkpoint")))).append("</span> &middot; test points: <span data-field=\"testPoints\">")
                .append(r.path("testPoints").asInt()).append("</span> &middot; seed: <span data-field=\"seed\">")
                .append(r.path("seed").asLong()).append("</span>");
        JsonNode normalization = r.path("normalization");
        if (normalization.isObject()) {
            b.append("<br>Normalisation in front of the network: <span data-field=\"normalization\">")
                    .append(Html.esc(normalization.path("mean").isArray() ? "mean " + normalization.path("mean") + ", std "
                            + normalization.path("std") : "none ([0,1] pixels as they are)"))
                    .append(" (").append(Html.esc(switch (Html.str(normalization.path("source"))) {
                        case "dataset" -> "the dataset's";
                        case "upload" -> "given with the upload";
                        default -> "the model normalises inside, if at all";
                    })).append(")</span>");
        }
        b.append("</p>");

        b.append("<h2>Accuracy</h2><table id=\"results\"><tr><th>attack</th><th>epsilon</th><th>budget</th><th>robust accuracy</th>"
                + "<th>95% interval</th><th>images/s</th></tr>");
        b.append("<tr><td>none (clean)</td><td class=\"num\">0</td><td>—</td><td class=\"num\" data-field=\"cleanAccuracy\">")
                .append(Html.frac(r.path("cleanAccuracy"))).append("</td><td class=\"num\" data-field=\"interval\">")
                .append(interval(r.path("cleanInterval"))).append("</td><td></td></tr>");
        for (JsonNode a : r.path("results")) {
            b.append("<tr><td>").append(Html.esc(Html.str(a.path("label")))).append("</td><td class=\"num\">")
                    .append(Html.num(a.path("epsilon"), "%.4g")).append("</td><td>").append(Html.esc(budget(a.path("attack"))))
                    .append("</td><td class=\"num\" data-field=\"robustAccuracy\">").append(Html.frac(a.path("robustAccuracy")))
                    .append("</td><td class=\"num\" data-field=\"interval\">").append(interval(a.path("interval")))
                    .append("</td><td class=\"num\">").append(Html.num(a.path("imagesPerSecond"), "%.1f")).append("</td></tr>");
        }
        b.append("</table>");

        b.append("<h2>Worst case per epsilon</h2><table id=\"worst-case\"><tr><th>epsilon</th><th>attacks</th><th>accuracy</th>"
                + "<th>95% interval</th></tr>");
        for (JsonNode w : r.path("worstCaseAccuracy")) {
            List<String> attacks = new ArrayList<>();
            w.path("attacks").forEach(x -> attacks.add(Html.str(x)));
            b.append("<tr><td class=\"num\">").append(Html.num(w.path("epsilon"), "%.4g")).append("</td><td>")
                    .append(Html.esc(String.join(", ", attacks))).append("</td><td class=\"num\" data-field=\"worstCaseAccuracy\">")
                    .append(Html.frac(w.path("accuracy"))).append("</td><td class=\"num\" data-field=\"interval\">")
                    .append(interval(w.path("interval"))).append("</td></tr>");
        }
        b.append("</table>");
        b.append("<img id=\"plot-accuracy-vs-epsilon\" alt=\"accuracy vs epsilon\" src=\"").append(plotBase).append("accuracy-vs-epsilon.png\">");

        checks(b, "Masking checks", "masking-checks", r.path("maskingChecks"));
        checks(b, "AutoAttack's checks", "autoattack-checks", r.path("autoAttackChecks"));

        JsonNode f = r.path("featureAnalysis");
        b.append("<h2>Feature analysis</h2>");
        if (f.isMissingNode() || f.isNull()) {
            b.append("<p>Not available for this evaluation.</p>");
        } else {
            b.append("<p>Penultimate features phi (").append(Html.esc(Html.str(f.path("layer")))).append(", dimension ")
                    .append(f.path("dimension").asInt()).append("), ").append(f.path("points").asInt()).append(" test points, x_adv from ")
                    .append(Html.esc(Html.str(f.path("attack")))).append(" at epsilon ").append(Html.num(f.path("epsilon"), "%.4g")).append(".</p>");
            b.append("<table id=\"feature-analysis\"><tr><th>statistic</th><th>value</th></tr>");
            row(b, "between/within-class variance, clean", f.path("cleanSeparation"), "cleanSeparation");
            row(b, "between/within-class variance, adversarial", f.path("adversarialSeparation"), "adversarialSeparation");
            row(b, "mean ||phi(x) - phi(x_adv)|| / ||phi(x)||", f.path("relativeFeatureChange"), "relativeFeatureChange");
            row(b, "median ||phi(x) - phi(x_adv)|| / ||phi(x)||", f.path("relativeFeatureChangeMedian"), "relativeFeatureChangeMedian");
            b.append("</table>");
        }

        b.append("<h2>Per class</h2><table id=\"per-class\"><tr><th>class</th><th>test points</th><th>clean</th>");
        List<String> eps = new ArrayList<>();
        r.path("worstCaseAccuracy").forEach(w -> eps.add(Html.num(w.path("epsilon"), "%.4g")));
        eps.forEach(x -> b.append("<th>worst case, epsilon ").append(x).append("</th>"));
        b.append("</tr>");
        for (JsonNode c : r.path("perClassAccuracy")) {
            String className = Html.str(c.path("name"));
            b.append("<tr><td>").append(c.path("label").asInt()).append(className.isEmpty() ? "" : " " + Html.esc(className))
                    .append("</td><td class=\"num\">").append(c.path("testPoints").asInt())
                    .append("</td><td class=\"num\">").append(Html.frac(c.path("clean"))).append("</td>");
            for (JsonNode w : c.path("worstCase")) {
                b.append("<td class=\"num\">").append(Html.frac(w)).append("</td>");
            }
            b.append("</tr>");
        }
        b.append("</table>");

        JsonNode plots = r.path("plots");
        if (!plots.isEmpty()) {
            b.append("<h2>Pictures</h2>");
            for (JsonNode p : plots) {
                String name = Html.esc(Html.str(p));
                b.append("<h3>").append(name).append("</h3><img id=\"plot-").append(name).append("\" alt=\"").append(name)
                        .append("\" src=\"").append(plotBase).append(name).append(".png\">");
            }
        }
        b.append("</body></html>");
        return b.toString();
    }

    /** A table of checks, each passed or FAILED with its detail; a line that says so when there are none. */
    private static void checks(StringBuilder b, String title, String id, JsonNode checks) {
        b.append("<h2>").append(Html.esc(title)).append("</h2>");
        if (checks.isMissingNode() || checks.isEmpty()) {
            b.append("<p>Not run for this evaluation.</p>");
            return;
        }
        b.append("<table id=\"").append(id).append("\"><tr><th>check</th><th>result</th><th>detail</th></tr>");
        for (JsonNode c : checks) {
            boolean passed = c.path("passed").asBoolean();
            b.append("<tr><td>").append(Html.esc(Html.str(c.path("name")))).append("</td><td class=\"")
                    .append(passed ? "passed" : "failed").append("\" data-field=\"passed\">").append(passed ? "passed" : "FAILED")
                    .append("</td><td>").append(Html.esc(Html.str(c.path("detail")))).append("</td></tr>");
        }
        b.append("</table>");
    }

    /** A 95% interval as [lower, upper], or nothing for a report from before intervals. */
    static String interval(JsonNode interval) {
        if (interval.isMissingNode() || interval.isNull()) {
            return "";
        }
        return "[" + Html.frac(interval.path("lower")) + ", " + Html.frac(interval.path("upper")) + "]";
    }

    private static void row(StringBuilder b, String name, JsonNode value, String field) {
        b.append("<tr><td>").append(Html.esc(name)).append("</td><td class=\"num\" data-field=\"").append(field).append("\">")
                .append(Html.num(value, "%.4f")).append("</td></tr>");
    }

    /** How many of the report's masking checks passed. */
    public static int passedChecks(JsonNode report) {
        int passed = 0;
        for (JsonNode c : report.path("maskingChecks")) {
            passed += c.path("passed").asBoolean() ? 1 : 0;
        }
        return passed;
    }

    /** The attack's budget in words: steps, step size, restarts, queries, surrogate. */
    public static String budget(JsonNode a) {
        List<String> parts = new ArrayList<>();
        // reports written before attack types were spelled as in requests say APGD_T rather than apgd-t
        String type = Html.str(a.path("type")).toLowerCase(Locale.ROOT).replace('_', '-');
        if (!type.equals("square") && !type.equals("fgsm")) {
            parts.add(a.path("steps").asInt() + " steps");
        }
        if (type.equals("pgd")) {
            parts.add("step " + Html.num(a.path("stepSize"), "%.4g"));
        }
        if (a.path("restarts").asInt() > 1) {
            parts.add(type.equals("apgd-t") || type.equals("ensemble") ? a.path("restarts").asInt() + " target classes"
                    : a.path("restarts").asInt() + " restarts");
        }
        if (type.equals("square") || type.equals("ensemble")) {
            parts.add(a.path("queries").asInt() + " queries");
        }
        if (!Html.str(a.path("surrogate")).isEmpty()) {
            parts.add("made on surrogate " + Html.str(a.path("surrogate")));
        }
        return parts.isEmpty() ? "one step" : String.join(", ", parts);
    }

    /** The side-by-side page of several evaluations. */
    /**
     * The comparison page of several evaluations: clean and worst-case accuracy with their 95% intervals, the checks each
     * failed, and, below, whether each pair differs significantly ({@code significance}: rows of first, second, epsilon,
     * points, onlyFirst, onlySecond, p-value; empty when the evaluations kept no per-example records).
     */
    public static String comparisonPage(List<Entry> entries, String chartUrl, List<String[]> significance) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Comparison</title>").append(Html.STYLE)
                .append("</head><body><h1>Comparison of ").append(entries.size()).append(" models</h1>");
        TreeSet<Double> epsilons = new TreeSet<>();
        for (Entry e : entries) {
            e.report().path("worstCaseAccuracy").forEach(w -> epsilons.add(w.path("epsilon").asDouble()));
        }
        b.append("<table id=\"comparison\"><tr><th>model</th><th>test points</th><th>clean</th>");
        for (double eps : epsilons) {
            b.append("<th>worst case, epsilon ").append(String.format(Locale.ROOT, "%.4g", eps)).append("</th>");
        }
        b.append("<th>masking checks passed</th><th>failed checks</th><th>relative feature change</th></tr>");
        for (Entry e : entries) {
            JsonNode r = e.report();
            b.append("<tr data-evaluation=\"").append(Html.esc(e.evaluationId())).append("\"><td>").append(Html.esc(e.title()))
                    .append("</td><td class=\"num\">").append(r.path("testPoints").asInt()).append("</td><td class=\"num\" data-field=\"cleanAccuracy\">")
                    .append(Html.frac(r.path("cleanAccuracy"))).append(" ").append(interval(r.path("cleanInterval"))).append("</td>");
            for (double eps : epsilons) {
                JsonNode found = null;
                JsonNode foundInterval = null;
                for (Iterator<JsonNode> it = r.path("worstCaseAccuracy").iterator(); it.hasNext();) {
                    JsonNode w = it.next();
                    if (Math.abs(w.path("epsilon").asDouble() - eps) < 1e-9) {
                        found = w.path("accuracy");
                        foundInterval = w.path("interval");
                    }
                }
                b.append("<td class=\"num\">").append(Html.frac(found)).append(foundInterval == null ? "" : " " + interval(foundInterval))
                        .append("</td>");
            }
            int total = r.path("maskingChecks").size();
            List<String> failed = new ArrayList<>();
            for (String field : List.of("maskingChecks", "autoAttackChecks")) {
                r.path(field).forEach(c -> {
                    if (!c.path("passed").asBoolean(true)) {
                        failed.add(Html.str(c.path("name")));
                    }
                });
            }
            b.append("<td class=\"num\">").append(total == 0 ? "not run" : passedChecks(r) + " / " + total).append("</td><td data-field=\"flags\">")
                    .append(Html.esc(failed.isEmpty() ? "none" : String.join(", ", failed))).append("</td><td class=\"num\">")
                    .append(Html.num(r.path("featureAnalysis").path("relativeFeatureChange"), "%.4f")).append("</td></tr>");
        }
        b.append("</table>");
        if (!significance.isEmpty()) {
            b.append("<h2>Is the difference significant?</h2><p>McNemar's exact test on the worst case, over the test points both"
                    + " evaluations ran: only the points where they disagree count.</p><table id=\"significance\"><tr><th>first</th>"
                    + "<th>second</th><th>epsilon</th><th>test points</th><th>robust only in the first</th><th>robust only in the second</th>"
                    + "<th>p-value</th></tr>");
            for (String[] row : significance) {
                b.append("<tr>");
                for (String cell : row) {
                    b.append("<td>").append(Html.esc(cell)).append("</td>");
                }
                b.append("</tr>");
            }
            b.append("</table>");
        }
        b.append("<img id=\"plot-comparison\" alt=\"worst-case accuracy vs epsilon\" src=\"").append(Html.esc(chartUrl)).append("\">");
        b.append("</body></html>");
        return b.toString();
    }
}
