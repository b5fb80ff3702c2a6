package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** A model's robustness as every evaluation of it found it together: its best-known robust accuracy. */
@RestController
@RequestMapping("/api/v1/models")
class BestKnownController {

    private final EvaluationService evaluations;

    BestKnownController(EvaluationService evaluations) {
        this.evaluations = evaluations;
    }

    @GetMapping("/{id}/best-known")
    @Tag(name = "Models")
    @Operation(operationId = "getModelBestKnown", summary = "The model's best-known robust accuracy at each epsilon: a point counts as"
            + " robust only if no attack of any of its evaluations broke it",
            description = "Over the test points every evaluation with a per-example record covered (the first N of the test set), with"
                    + " the 95% Clopper-Pearson interval; empty when no evaluation of it has a record.")
    List<BestKnown> bestKnown(@PathVariable UUID id) {
        return evaluations.bestKnown(id);
    }
}
