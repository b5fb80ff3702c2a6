package org.robustlab.retention;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Deletions of training jobs, models and evaluations, under their resources' paths and tags: deleting reaches
 * across the features (a job takes its models and their evaluations with it), so it lives above them.
 */
@RestController
@RequestMapping("/api/v1")
class DeletionController {

    private final DeletionService deletions;

    DeletionController(DeletionService deletions) {
        this.deletions = deletions;
    }

    @DeleteMapping("/training-jobs/{id}")
    @Tag(name = "Training jobs")
    @Operation(operationId = "deleteTrainingJob", summary = "Delete an ended job with its models, their evaluations, metrics and files",
            description = "Owner or admin. 409 while the job is QUEUED or RUNNING (cancel it first), while an evaluation of its models is,"
                    + " and for a sweep's job (a sweep keeps its members).")
    @ApiResponse(responseCode = "204", description = "deleted, with its models and their evaluations")
    ResponseEntity<Void> deleteTrainingJob(@PathVariable UUID id) {
        deletions.deleteTrainingJob(id);
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/models/{id}")
    @Tag(name = "Models")
    @Operation(operationId = "deleteModel", summary = "Delete a model, its files and every evaluation of it",
            description = "Owner or admin. 409 while an evaluation of it is QUEUED or RUNNING, while a running evaluation uses it as"
                    + " a transfer surrogate, and for a model of a sweep's job (a sweep keeps its members).")
    @ApiResponse(responseCode = "204", description = "deleted, with its evaluations")
    ResponseEntity<Void> deleteModel(@PathVariable UUID id) {
        deletions.deleteModel(id);
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/evaluations/{id}")
    @Tag(name = "Evaluations")
    @Operation(operationId = "deleteEvaluation", summary = "Delete an ended evaluation, its report and pictures",
            description = "Owner or admin. 409 while it is QUEUED or RUNNING (cancel it first) and for a sweep's evaluation.")
    @ApiResponse(responseCode = "204", description = "deleted")
    ResponseEntity<Void> deleteEvaluation(@PathVariable UUID id) {
        deletions.deleteEvaluation(id);
        return ResponseEntity.noContent().build();
    }
}
