package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.UUID;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.robustlab.job.IllegalTransitionException;
import org.robustlab.job.JobNotFoundException;
import org.robustlab.report.ReportPages;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/evaluations")
@Tag(name = "Evaluations", description = "Clean and robust accuracy of a model under attacks")
class EvaluationController {

    private static final java.util.regex.Pattern PLOT_NAME = java.util.regex.Pattern.compile("[a-z0-9-]{1,64}");

    private final EvaluationService evaluations;
    private final org.robustlab.config.RobustLabProperties properties;

    private final org.robustlab.storage.ObjectStore store;
    private final org.robustlab.retention.DeletionService deletions;

    EvaluationController(EvaluationService evaluations, org.robustlab.config.RobustLabProperties properties,
            org.robustlab.storage.ObjectStore store, org.robustlab.retention.DeletionService deletions) {
        this.deletions = deletions;
        this.store = store;
        this.evaluations = evaluations;
        this.properties = properties;
    }

    @PostMapping
    @Operation(operationId = "submitEvaluation", summary = "Evaluate a model under attacks; runs in the background")
@io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "202", description = "queued; it runs in the background",
            headers = @io.swagger.v3.oas.annotations.headers.Header(name = "Location", description = "the evaluation's URL",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(type = "string")))
    ResponseEntity<EvaluationView> submit(@Valid @RequestBody CreateEvaluationRequest request) {
        EvaluationView view = evaluations.submit(request);
        return ResponseEntity.accepted().location(URI.create("/api/v1/evaluations/" + view.id())).body(view);
    }

    @org.springframework.web.bind.annotation.DeleteMapping("/{id}")
    @Operation(operationId = "deleteEvaluation", summary = "Delete an ended evaluation, its report and pictures",
            description = "Owner or admin. 409 while it is QUEUED or RUNNING (cancel it first) and for a sweep's evaluation.")
    @io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "204", description = "deleted")
    ResponseEntity<Void> delete(@PathVariable UUID id) {
        deletions.deleteEvaluation(id);
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{id}/cancel")
    @Operation(operationId = "cancelEvaluation", summary = "Cancel an evaluation: at once if QUEUED, at the next batch if RUNNING; 409 if it has ended")
    EvaluationView cancel(@PathVariable UUID id) {
        return evaluations.cancel(id);
    }

    @GetMapping
    @Operation(operationId = "listEvaluations", summary = "Evaluations, newest first, filtered by state, owner, model, or the training job"
            + " whose models they evaluate")
    org.robustlab.config.PageView<EvaluationView> list(@RequestParam(required = false) org.robustlab.job.JobState state,
            @RequestParam(required = false) String owner, @RequestParam(required = false) UUID modelId,
            @RequestParam(required = false) UUID jobId,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        org.robustlab.config.Problems.checkPage(page, size);
        return org.robustlab.config.PageView.of(evaluations.list(state, owner, modelId, jobId,
                org.springframework.data.domain.PageRequest.of(page, size,
                        org.springframework.data.domain.Sort.by(org.springframework.data.domain.Sort.Direction.DESC, "createdAt"))));
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getEvaluation", summary = "An evaluation: state, progress and, when done, its report")
    EvaluationView get(@PathVariable UUID id) {
        return evaluations.get(id);
    }

    @GetMapping("/{id}/report")
    @Operation(operationId = "getEvaluationReport", summary = "The robustness report (409 until the evaluation has succeeded)")
@io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "200", description = "the report",
            content = @io.swagger.v3.oas.annotations.media.Content(mediaType = "application/json",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(implementation = org.robustlab.ml.evaluation.RobustnessReport.class)))
    Object report(@PathVariable UUID id) {
        EvaluationView view = evaluations.get(id);
        if (view.report() == null) {
            throw new IllegalTransitionException("evaluation " + id + " is " + view.state() + "; its report exists once it has SUCCEEDED"
                    + (view.failureReason() == null ? "" : " (" + view.failureReason() + ")"));
        }
        return view.report();
    }

    @GetMapping(value = "/{id}/report.html", produces = MediaType.TEXT_HTML_VALUE)
    @Operation(operationId = "getEvaluationReportPage", summary = "The report as an HTML page: tables, masking checks, feature analysis and pictures")
    String reportPage(@PathVariable UUID id) {
        return ReportPages.evaluationPage(evaluations.entry(id), "/api/v1/evaluations/" + id + "/plots/");
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
        java.util.Optional<byte[]> bytes = PLOT_NAME.matcher(name).matches() && listed
                ? store.read("evaluations/" + id + "/plots/" + name + ".png") : java.util.Optional.empty();
        if (bytes.isEmpty()) {
            throw new JobNotFoundException("evaluation " + id + " has no picture '" + name + "'; it has accuracy-vs-epsilon"
                    + (entry.report().path("plots").isEmpty() ? "" : " and " + entry.report().path("plots")));
        }
        return png(bytes.get());
    }

    private static ResponseEntity<byte[]> png(byte[] bytes) {
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(bytes);
    }
}
