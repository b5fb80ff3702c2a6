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
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.robustlab.evaluation.EvaluationService;
import org.robustlab.ml.evaluation.FeatureAnalysis;
import org.robustlab.ml.evaluation.RobustnessReport;
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
     * @param rows one per evaluation, in the order asked
     * @param notes what makes the rows hard to compare (different test points, seeds or datasets)
     * @param html the page
     * @param plot the chart
     */
    record Comparison(List<Row> rows, List<String> notes, String html, String plot) {}

    @PostMapping(produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "compareEvaluations", summary = "Compare evaluations: clean and worst-case accuracy, masking checks and features, side by side",
            description = "Send Accept: text/html to get the page instead of JSON.")
    @ApiResponse(responseCode = "200", description = "the comparison", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(implementation = Comparison.class)),
            @Content(mediaType = MediaType.TEXT_HTML_VALUE, schema = @Schema(type = "string"))})
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
        return new Comparison(rows, notes(entries), "/api/v1/comparisons/report.html?" + query,
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
        return ReportPages.comparisonPage(entries(evaluationIds),
                "/api/v1/comparisons/plots/accuracy-vs-epsilon.png?" + query(evaluationIds));
    }

    @GetMapping(value = "/plots/accuracy-vs-epsilon.png", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(operationId = "getComparisonChart", summary = "Worst-case accuracy against epsilon, one line per model")
    ResponseEntity<byte[]> chart(@RequestParam List<UUID> evaluationIds) {
        check(evaluationIds);
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(ReportPages.comparisonChart(entries(evaluationIds)));
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
