package org.robustlab.leaderboard;

import io.swagger.v3.oas.annotations.Hidden;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.robustlab.evaluation.EvaluationService;
import org.robustlab.ml.evaluation.FeatureAnalysis;
import org.robustlab.ml.evaluation.ExampleRecord;
import org.robustlab.ml.evaluation.RobustnessReport;
import org.robustlab.ml.evaluation.Statistics;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.report.ReportPages;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * Several evaluated models side by side: one request (JSON, or the HTML page with
 * {@code Accept: text/html}), one page, one chart. Nothing is stored: a comparison is a view of
 * evaluations that already exist, so its links stay valid as long as they do.
 */
@RestController
@RequestMapping("/api/v1/comparisons")
@Tag(name = "Comparisons", description = "Several evaluated models side by side")
class ComparisonController {

    private final EvaluationService evaluations;

    ComparisonController(EvaluationService evaluations) {
        this.evaluations = evaluations;
    }

    @Schema(example = """
            {"evaluationIds": ["00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"]}""")
    record ComparisonRequest(@NotNull @Size(min = 2, max = 10) @Schema(description = "2 to 10 ids of SUCCEEDED evaluations"
            + " (the example's are placeholders)") List<@NotNull UUID> evaluationIds) {}

    /** One model's figures in a comparison. */
    @Schema(name = "ComparisonRow")
    record Row(UUID evaluationId, String model, int testPoints, long seed, String checkpoint, double cleanAccuracy,
            @ArraySchema(schema = @Schema(implementation = RobustnessReport.WorstCase.class))
            Object worstCaseAccuracy,
            @ArraySchema(schema = @Schema(implementation = RobustnessReport.AttackResult.class))
            Object results, Integer maskingChecksPassed, Integer maskingChecksRun,
            @Schema(implementation = FeatureAnalysis.class) Object featureAnalysis) {}

    /**
     * Whether two evaluations' worst cases differ by more than chance on the test points both ran: McNemar's exact
     * test on the paired per-point outcomes.
     *
     * @param first an evaluation
     * @param second another
     * @param epsilon the radius
     * @param testPoints the points both ran (the first N of the test set)
     * @param onlyFirst points robust under the first and not the second
     * @param onlySecond points robust under the second and not the first
     * @param pValue the exact two-sided p-value
     * @param significant whether pValue is below 0.05
     */
    @Schema(name = "ComparisonSignificance")
    record Significance(UUID first, UUID second, float epsilon, int testPoints, int onlyFirst, int onlySecond, double pValue,
            boolean significant) {}

    /**
     * @param rows one per evaluation, in the order asked
     * @param notes what makes the rows hard to compare (different test points, seeds or datasets)
     * @param significance for each pair of evaluations with per-example records and each epsilon both ran
     * @param html the page
     * @param plot the chart
     */
    record Comparison(List<Row> rows, List<String> notes, List<Significance> significance, String html, String plot) {}

    @PostMapping(produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "compareEvaluations", summary = "Compare evaluations: clean and worst-case accuracy, masking checks and features, side by side",
            description = "The page of the same comparison is getComparisonPage (GET /comparisons/report.html, linked as html in"
                    + " the answer); a browser's form post with Accept: text/html gets the page too.")
    @ApiResponse(responseCode = "200", description = "the comparison", content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
            schema = @Schema(implementation = Comparison.class)))
    Comparison compare(@Valid @RequestBody ComparisonRequest request) {
        List<ReportPages.Entry> entries = entries(request.evaluationIds());
        String query = query(request.evaluationIds());
        List<Row> rows = new ArrayList<>();
        for (ReportPages.Entry e : entries) {
            JsonNode r = e.report();
            int run = r.path("maskingChecks").size();
            int passed = ReportPages.passedChecks(r);
            rows.add(new Row(UUID.fromString(e.evaluationId()), e.title(), r.path("testPoints").asInt(), r.path("seed").asLong(),
                    r.path("checkpoint").asString(), r.path("cleanAccuracy").asDouble(), r.path("worstCaseAccuracy"), r.path("results"),
                    run == 0 ? null : passed, run == 0 ? null : run, r.path("featureAnalysis").isMissingNode() ? null : r.path("featureAnalysis")));
        }
        return new Comparison(rows, notes(entries), significance(entries), "/api/v1/comparisons/report.html?" + query,
                "/api/v1/comparisons/plots/accuracy-vs-epsilon.png?" + query);
    }

    @PostMapping(produces = MediaType.TEXT_HTML_VALUE)
    @Hidden
    String comparePage(@Valid @RequestBody ComparisonRequest request) {
        return page(request.evaluationIds());
    }

    @GetMapping(value = "/report.html", produces = MediaType.TEXT_HTML_VALUE)
    @Operation(operationId = "getComparisonPage", summary = "The comparison page of evaluationIds (comma-separated)")
    String page(@RequestParam List<UUID> evaluationIds) {
        check(evaluationIds);
        List<ReportPages.Entry> entries = entries(evaluationIds);
        List<String[]> rows = significance(entries).stream().map(x -> new String[] {x.first().toString().substring(0, 8),
                x.second().toString().substring(0, 8), String.format(Locale.ROOT, "%.4g", x.epsilon()), Integer.toString(x.testPoints()),
                Integer.toString(x.onlyFirst()), Integer.toString(x.onlySecond()),
                String.format(Locale.ROOT, "%.3g%s", x.pValue(), x.significant() ? " (significant at 5%)" : "")}).toList();
        return ReportPages.comparisonPage(entries, "/api/v1/comparisons/plots/accuracy-vs-epsilon.png?" + query(evaluationIds), rows);
    }

    @GetMapping(value = "/plots/accuracy-vs-epsilon.png", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(operationId = "getComparisonChart", summary = "Worst-case accuracy against epsilon, one line per model")
    ResponseEntity<byte[]> chart(@RequestParam List<UUID> evaluationIds) {
        check(evaluationIds);
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(ReportPages.comparisonChart(entries(evaluationIds)));
    }

    /** McNemar's test for each pair of evaluations that kept per-example records, at each epsilon both ran. */
    private List<Significance> significance(List<ReportPages.Entry> entries) {
        List<UUID> ids = entries.stream().map(e -> UUID.fromString(e.evaluationId())).toList();
        List<Optional<ExampleRecord>> records = ids.stream().map(evaluations::examples).toList();
        List<Significance> out = new ArrayList<>();
        for (int a = 0; a < ids.size(); a++) {
            for (int b = a + 1; b < ids.size(); b++) {
                if (records.get(a).isEmpty() || records.get(b).isEmpty()) {
                    continue;
                }
                ExampleRecord ra = records.get(a).get();
                ExampleRecord rb = records.get(b).get();
                int points = Math.min(ra.size(), rb.size());
                for (float eps : ra.epsilons()) {
                    int ea = ra.epsilonIndex(eps);
                    int eb = rb.epsilonIndex(eps);
                    if (eb < 0) {
                        continue;
                    }
                    int onlyA = 0;
                    int onlyB = 0;
                    for (int i = 0; i < points; i++) {
                        boolean x = ra.robust(ea, i);
                        boolean y = rb.robust(eb, i);
                        onlyA += x && !y ? 1 : 0;
                        onlyB += y && !x ? 1 : 0;
                    }
                    double p = Statistics.mcNemar(onlyA, onlyB);
                    out.add(new Significance(ids.get(a), ids.get(b), eps, points, onlyA, onlyB, p, p < 0.05));
                }
            }
        }
        return out;
    }

    private static void check(List<UUID> ids) {
        if (ids.size() < 2 || ids.size() > 10) {
            throw new InvalidRequestException("evaluationIds", "evaluationIds must list 2 to 10 evaluations; got " + ids.size());
        }
    }

    private List<ReportPages.Entry> entries(List<UUID> ids) {
        List<ReportPages.Entry> out = new ArrayList<>();
        for (UUID id : new LinkedHashSet<>(ids)) {
            out.add(evaluations.entry(id));
        }
        return out;
    }

    private static String query(List<UUID> ids) {
        return "evaluationIds=" + ids.stream().map(UUID::toString).collect(Collectors.joining(","));
    }

    private static List<String> notes(List<ReportPages.Entry> entries) {
        List<String> notes = new ArrayList<>();
        Set<Integer> points = entries.stream().map(e -> e.report().path("testPoints").asInt()).collect(Collectors.toSet());
        if (points.size() > 1) {
            notes.add("the evaluations use different numbers of test points " + points + "; accuracies are on different test sets");
        }
        Set<Long> seeds = entries.stream().map(e -> e.report().path("seed").asLong()).collect(Collectors.toSet());
        if (seeds.size() > 1) {
            notes.add("the evaluations use different seeds " + seeds);
        }
        return notes;
    }
}
