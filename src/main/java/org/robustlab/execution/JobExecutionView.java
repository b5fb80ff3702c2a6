package org.robustlab.execution;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;

/**
 * One execution of a job: the instance that ran it, when, how it ended, and for a resumed job the
 * checkpoint it started from and the epochs it had to train again.
 *
 * @param attempt 1 for the first start, 2 for the first resume, ...
 * @param instance the instance (robustlab.instance-id) that ran it
 * @param startedAt when it started
 * @param endedAt when it ended; absent while it runs (or if its instance died)
 * @param outcome SUCCEEDED, FAILED, CANCELLED, STOPPED; INTERRUPTED (a shutdown, or a worker that stopped on its lease
 *     while its service was paused: the job resumes); FENCED (superseded by another execution); absent while it runs or
 *     when its instance died
 * @param reason why it ended so, for INTERRUPTED and FENCED
 * @param resumedFromEpoch a resume: the epoch of the checkpoint it started from (0: from scratch)
 * @param epochsRedone a resume: epochs completed before the interruption that had to be trained again
 */
public record JobExecutionView(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int attempt,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String instance,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) Instant startedAt,
        Instant endedAt, String outcome, String reason, Integer resumedFromEpoch, Integer epochsRedone) {

    public static JobExecutionView of(JobExecution e) {
        return new JobExecutionView(e.getAttempt(), e.getInstance(), e.getStartedAt(), e.getEndedAt(), e.getOutcome(), e.getReason(),
                e.getResumedFromEpoch(), e.getEpochsRedone());
    }
}
