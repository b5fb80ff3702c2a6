package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.UUID;
import org.robustlab.job.IllegalTransitionException;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/evaluations")
@Tag(name = "Evaluations", description = "Clean and robust accuracy of a model under attacks")
class EvaluationController {

    private final EvaluationService evaluations;

    EvaluationController(EvaluationService evaluations) {
        this.evaluations = evaluations;
    }

    @PostMapping
    @Operation(summary = "Evaluate a model under attacks; runs in the background")
    ResponseEntity<EvaluationView> submit(@Valid @RequestBody CreateEvaluationRequest request) {
        EvaluationView view = evaluations.submit(request);
        return ResponseEntity.accepted().location(URI.create("/api/v1/evaluations/" + view.id())).body(view);
    }

    @GetMapping("/{id}")
    @Operation(summary = "An evaluation: state, progress and, when done, its report")
    EvaluationView get(@PathVariable UUID id) {
        return evaluations.get(id);
    }

    @GetMapping("/{id}/report")
    @Operation(summary = "The robustness report (409 until the evaluation has succeeded)")
    Object report(@PathVariable UUID id) {
        EvaluationView view = evaluations.get(id);
        if (view.report() == null) {
            throw new IllegalTransitionException("evaluation " + id + " is " + view.state() + "; its report exists once it has SUCCEEDED"
                    + (view.failureReason() == null ? "" : " (" + view.failureReason() + ")"));
        }
        return view.report();
    }
}
