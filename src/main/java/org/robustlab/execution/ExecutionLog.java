package org.robustlab.execution;

import java.time.Clock;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** Writes the execution history: one row per start of a job or evaluation, closed with its outcome. */
@Component
public class ExecutionLog {

    private final JobExecutionRepository executions;

    private final Clock clock;

    public ExecutionLog(JobExecutionRepository executions, Clock clock) {
        this.executions = executions;
        this.clock = clock;
    }

    public JobExecution start(UUID jobId, String kind, int attempt, String instance, String token) {
        return executions.saveAndFlush(new JobExecution(jobId, kind, attempt, instance, token, clock.instant()));
    }

    public void resumed(JobExecution e, int fromEpoch, int redone) {
        e.setResumedFromEpoch(fromEpoch);
        e.setEpochsRedone(redone);
        executions.saveAndFlush(e);
    }

    /** Closes the row with how the execution ended and, unless it ended the job as the job's own reason says, why. */
    public void end(JobExecution e, String outcome, String reason) {
        e.setEndedAt(clock.instant());
        e.setOutcome(outcome);
        e.setReason(reason);
        executions.saveAndFlush(e);
    }
}
