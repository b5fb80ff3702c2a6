package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.robustlab.config.PageView;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.execution.JobState;
import org.robustlab.ml.evaluation.ExampleRecord;
import org.robustlab.ml.evaluation.RobustnessReport;
import org.robustlab.problem.ConflictException;
import org.robustlab.problem.NotFoundException;
import org.robustlab.problem.Problems;
import org.robustlab.report.ReportPages;
import org.robustlab.storage.ObjectStore;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping("/api/v1/evaluations")
@Tag(name = "Evaluations", description = "Clean and robust accuracy of a model under attacks")
class EvaluationController {

    private static final Pattern PLOT_NAME = Pattern.compile("[a-z0-9-]{1,64}");

    private final EvaluationService evaluations;
    private final RobustLabProperties properties;

    private final ObjectStore store;

    EvaluationController(EvaluationService evaluations, RobustLabProperties properties,
            ObjectStore store) {
        this.store = store;
        this.evaluations = evaluations;
        this.properties = properties;
    }

    @PostMapping
    @Operation(operationId = "submitEvaluation", summary = "Evaluate a model under attacks; runs in the background")
    @ApiResponse(responseCode = "202", description = "queued; it runs in the background",
            headers = @Header(name = "Location", description = "the evaluation's URL",
                    schema = @Schema(type = "string")))
    ResponseEntity<EvaluationView> submit(@Valid @RequestBody CreateEvaluationRequest request) {
        EvaluationView view = evaluations.submit(request);
        return ResponseEntity.accepted().location(URI.create("/api/v1/evaluations/" + view.id())).body(view);
    }

    @PostMapping("/{id}/cancel")
    @Operation(operationId = "cancelEvaluation", summary = "Cancel an evaluation: at once if QUEUED, at the next batch if RUNNING; 409 if it has ended")
    EvaluationView cancel(@PathVariable UUID id) {
        return evaluations.cancel(id);
    }

    @GetMapping
    @Operation(operationId = "listEvaluations", summary = "Evaluations, newest first, filtered by state, owner, model, or the training job"
            + " whose models they evaluate")
    PageView<EvaluationView> list(@RequestParam(required = false) JobState state,
            @RequestParam(required = false) String owner, @RequestParam(required = false) UUID modelId,
            @RequestParam(required = false) UUID jobId,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        Problems.checkPage(page, size);
        return PageView.of(evaluations.list(state, owner, modelId, jobId,
                PageRequest.of(page, size,
                        Sort.by(Sort.Direction.DESC, "execution.createdAt"))));
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getEvaluation", summary = "An evaluation: state, progress and, when done, its report")
    EvaluationView get(@PathVariable UUID id) {
        return evaluations.get(id);
    }

    @GetMapping("/{id}/report")
    @Operation(operationId = "getEvaluationReport", summary = "The robustness report (409 until the evaluation has succeeded)")
    @ApiResponse(responseCode = "200", description = "the report",
            content = @Content(mediaType = "application/json",
                    schema = @Schema(implementation = RobustnessReport.class)))
    Object report(@PathVariable UUID id) {
        EvaluationView view = evaluations.get(id);
        if (view.report() == null) {
            throw new ConflictException("evaluation " + id + " is " + view.state() + "; its report exists once it has SUCCEEDED"
                    + (view.failureReason() == null ? "" : " (" + view.failureReason() + ")"));
        }
        return view.report();
    }

    @GetMapping(value = "/{id}/report.html", produces = MediaType.TEXT_HTML_VALUE)
    @Operation(operationId = "getEvaluationReportPage", summary = "The report as an HTML page: tables, masking checks, feature analysis and pictures")
    String reportPage(@PathVariable UUID id) {
        return ReportPages.evaluationPage(evaluations.entry(id), "/api/v1/evaluations/" + id + "/plots/");
    }

    @GetMapping(value = "/{id}/examples.csv", produces = "text/csv")
    @Operation(operationId = "getEvaluationExamples", summary = "The per-example record: for each test point, clean correct or"
            + " not, and at each epsilon the first attack that broke it (empty: none) and the margin left (z_y - max other logit)",
            description = "Columns index, label, clean, clean_margin, then broken_by@EPS and margin@EPS per epsilon. 409 until the"
                    + " evaluation has succeeded; 404 for an evaluation that ran before records were kept.")
    @ApiResponse(responseCode = "200", description = "the record as CSV",
            content = @Content(mediaType = "text/csv", schema = @Schema(type = "string")))
    ResponseEntity<byte[]> examples(@PathVariable UUID id) throws IOException {
        evaluations.entry(id);
        byte[] bytes = store.read("evaluations/" + id + "/" + ExampleRecord.FILE).orElseThrow(() -> new NotFoundException(
                "evaluation " + id + " has no per-example record: it ran before evaluations kept one"));
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("text/csv")).body(bytes);
    }

    @GetMapping(value = "/{id}/plots/{name}.png", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(operationId = "getEvaluationPlot", summary = "A picture of the report: accuracy-vs-epsilon, adversarial-examples or saliency")
    ResponseEntity<byte[]> plot(@PathVariable UUID id, @PathVariable String name) throws IOException {
        ReportPages.Entry entry = evaluations.entry(id);
        if (name.equals("accuracy-vs-epsilon")) {
            return png(ReportPages.accuracyChart(entry));
        }
        boolean listed = false;
        for (JsonNode p : entry.report().path("plots")) {
            listed |= p.asString().equals(name);
        }
        Optional<byte[]> bytes = PLOT_NAME.matcher(name).matches() && listed
                ? store.read("evaluations/" + id + "/plots/" + name + ".png") : Optional.empty();
        if (bytes.isEmpty()) {
            throw new NotFoundException("evaluation " + id + " has no picture '" + name + "'; it has accuracy-vs-epsilon"
                    + (entry.report().path("plots").isEmpty() ? "" : " and " + entry.report().path("plots")));
        }
        return png(bytes.get());
    }

    private static ResponseEntity<byte[]> png(byte[] bytes) {
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(bytes);
    }
}
