package org.robustlab.evaluation;

import java.time.Instant;
import java.util.UUID;
import org.robustlab.job.JobState;

/** An evaluation job as the API shows it. */
public record EvaluationView(UUID id, UUID modelId, JobState state, double percent, String failureReason, String device,
        Instant createdAt, Instant startedAt, Instant finishedAt, Object request, Object report) {}
