package org.robustlab.job;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.robustlab.execution.JobState;
import org.robustlab.ml.training.EpochMetrics;

/** A training job as the API shows it. */
public record TrainingJobView(
        UUID id,
        String name,
        JobState state,
        String method,
        String dataset,
        String model,
        Set<String> tags,
        Progress progress,
        EpochMetrics metrics,
        List<ModelRef> models,
        String failureReason,
        String device,
        String owner,
        int attempts,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        @Schema(implementation = CreateTrainingJobRequest.class, description = "the request as submitted")
        Object request,
        @Schema(description = "the job whose last checkpoint this one continues"
                + " (the previous rung of a successive-halving sweep)") UUID continues,
        @Schema(description = "the epoch after which this job ends, its learning-rate"
                + " schedule keeping the request's full length (a rung of a successive-halving sweep)") Integer stopAfterEpoch) {

    /** Where the job is: 1-based epoch and batch, percent of the whole run, and a linear ETA. */
    public record Progress(int epoch, int epochs, int batch, int batches, double percent, Double etaSeconds) {}

    /** A model the job produced. */
    public record ModelRef(UUID id, String kind, int epoch) {}
}
