package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.execution.JobState;
import org.robustlab.ml.evaluation.RobustnessReport;

/**
 * An evaluation job as the API shows it.
 *
 * @param request the request as stored (with modelId resolved)
 * @param report the report, once SUCCEEDED
 */
public record EvaluationView(UUID id, UUID modelId, JobState state, double percent, String failureReason, String device,
        String owner, Instant createdAt, Instant startedAt, Instant finishedAt,
        @Schema(implementation = CreateEvaluationRequest.class) Object request,
        @Schema(implementation = RobustnessReport.class) Object report) {}
